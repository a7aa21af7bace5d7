import type { BatchRecord, ItemRecord } from "../../engine/model.js";
import { openBatchContainers } from "../../kinds/documentIntelligence/containers.js";
import { DOCUMENT_INTELLIGENCE_KIND, relativeSourcePath, specOf } from "../../kinds/documentIntelligence/spec.js";
import { OPENAI_BATCH_KIND } from "../../kinds/openai/spec.js";
import { UPLOAD_BATCH_KIND } from "../../kinds/uploadBatch/spec.js";
import type { AppServices } from "../../services/appServices.js";
import { LINES_PER_PART } from "../../storage/openAiBatchWork.js";
import { resultBlobName } from "../../storage/resultWriter.js";

/** Results larger than this are not shown in the page (it links the front door's own download instead). */
const MAX_RESULT_BYTES = 2 * 1024 * 1024;

export type ItemResult = { found: true; result: unknown } | { found: false; reason: string };

/**
 * One settled item's result, read where its kind keeps it: a DI document's `.ocr.json` in the
 * batch's result container, an upload's extraction, an OpenAI line's output or error line.
 */
export async function itemResult(services: AppServices, batch: BatchRecord, item: ItemRecord): Promise<ItemResult> {
  switch (batch.kind) {
    case DOCUMENT_INTELLIGENCE_KIND: {
      if (item.status !== "succeeded" && item.status !== "skipped") return { found: false, reason: `The document is ${item.status}; only a succeeded (or skipped) document has a result.` };
      const spec = specOf(batch);
      const { result } = openBatchContainers(batch.batchId, spec, services);
      const blob = result.getBlockBlobClient(resultBlobName(spec.resultPrefix, relativeSourcePath(spec, item.name)));
      const properties = await blob.getProperties().catch((error: { statusCode?: number }) => {
        if (error.statusCode === 404) return undefined;
        throw error;
      });
      if (!properties) return { found: false, reason: "The result is no longer in the result container." };
      if ((properties.contentLength ?? 0) > MAX_RESULT_BYTES) return { found: false, reason: `The result is ${properties.contentLength} bytes; open it in the result container (${blob.name}).` };
      return { found: true, result: JSON.parse((await blob.downloadToBuffer()).toString("utf8")) };
    }
    case UPLOAD_BATCH_KIND: {
      const stored = item.status === "succeeded" ? await services.uploads.result(batch.batchId, item.index) : undefined;
      return stored ? { found: true, result: stored.result } : { found: false, reason: `The document is ${item.status}; it has no result.` };
    }
    case OPENAI_BATCH_KIND: {
      const recorded = (await services.openAiWork.readPart(batch.batchId, Math.floor(item.index / LINES_PER_PART))).get(item.index);
      const last = recorded?.at(-1);
      return last ? { found: true, result: JSON.parse(last.line) } : { found: false, reason: `The line is ${item.status}; no answer was recorded for it.` };
    }
    default:
      return { found: false, reason: `Batches of kind '${batch.kind}' do not keep per-item results the dashboard can read.` };
  }
}
