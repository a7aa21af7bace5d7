import type { BatchRecord, EngineError, ItemCounts, ItemRecord } from "../../engine/model.js";
import { isFinalBatchStatus, settledCount } from "../../engine/statusRules.js";
import { relativeSourcePath, specOf } from "../../kinds/documentIntelligence/spec.js";
import { blobUrl } from "../../storage/containerUrl.js";
import { resultBlobName } from "../../storage/resultWriter.js";
import type { DiErrorBody } from "./errors.js";

/** Status words of Document Intelligence. */
export type DiBatchStatus = "notStarted" | "running" | "succeeded" | "failed" | "canceled";

/** `AnalyzeBatchOperation` without its details. URLs in it never carry a SAS. */
export interface AnalyzeBatchOperationSummary {
  resultId: string;
  status: DiBatchStatus;
  percentCompleted: number;
  createdDateTime: string;
  lastUpdatedDateTime: string;
  error?: DiErrorBody;
  result?: { succeededCount: number; failedCount: number; skippedCount: number };
}

export interface BatchOperationDetail {
  status: ItemRecord["status"];
  sourceUrl: string;
  resultUrl?: string;
  error?: DiErrorBody;
}

/**
 * The engine's phases in DI's words: every phase is `running`; a cancel shows at once as
 * `canceled`, as the service does, while documents in flight finish.
 */
export function diStatusOf(batch: BatchRecord): DiBatchStatus {
  switch (batch.status) {
    case "notStarted":
      return batch.cancelRequested ? "canceled" : "notStarted";
    case "preparing":
    case "processing":
    case "finalizing":
      return batch.cancelRequested ? "canceled" : "running";
    case "expired":
      return "failed";
    default:
      return batch.status;
  }
}

/** An engine error back in DI's shape: the DI kind keeps `target` and `innererror` in `details`. */
export function diErrorOf(error: EngineError): DiErrorBody {
  const code = error.code === "InternalError" ? "InternalServerError" : error.code;
  return { code, message: error.message, ...(error.details as Partial<DiErrorBody> | undefined) };
}

export function summarize(batch: BatchRecord, counts: ItemCounts): AnalyzeBatchOperationSummary {
  const status = diStatusOf(batch);
  return {
    resultId: batch.batchId,
    status,
    percentCompleted: percentCompleted(status, counts, batch.itemCount),
    createdDateTime: batch.createdAt,
    lastUpdatedDateTime: batch.updatedAt,
    ...(batch.error ? { error: diErrorOf(batch.error) } : {}),
    ...(batch.itemCount !== undefined
      ? { result: { succeededCount: counts.succeeded, failedCount: counts.failed, skippedCount: counts.skipped } }
      : {}),
  };
}

function percentCompleted(status: DiBatchStatus, counts: ItemCounts, documentCount: number | undefined): number {
  if (status === "succeeded") return 100;
  const final = status === "failed" || status === "canceled";
  if (!documentCount) return final ? 100 : 0;
  return Math.min(100, Math.floor((settledCount(counts) * 100) / documentCount));
}

export function detailOf(batch: BatchRecord, document: ItemRecord): BatchOperationDetail {
  const spec = specOf(batch);
  return {
    status: document.status,
    sourceUrl: blobUrl({ url: spec.source.url }, document.name),
    ...(document.status === "succeeded"
      ? { resultUrl: blobUrl({ url: spec.resultUrl }, resultBlobName(spec.resultPrefix, relativeSourcePath(spec, document.name))) }
      : {}),
    ...(document.error ? { error: diErrorOf(document.error) } : {}),
  };
}

/** Whether a poll should say when to come back. */
export function isDone(batch: BatchRecord): boolean {
  return isFinalBatchStatus(batch.status);
}

/**
 * The whole operation as a stream of JSON text, the details page by page as they are read from
 * the table, so a 100,000-document batch is never held in memory. While documents settle
 * (`recount` given), the counts come after the details, read again once the last page is out:
 * a document's outcome and its count are written in one transaction, so counts read after the
 * details are never behind them, and no answer shows more settled documents than it counts
 * (member order means nothing to a JSON parser). A finished batch's rows no longer change: its
 * answer keeps the usual order, counts first.
 */
export async function* streamOperation(
  batch: BatchRecord,
  counts: ItemCounts,
  details: AsyncIterable<BatchOperationDetail[]> | undefined,
  recount?: () => Promise<ItemCounts>,
): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  const summary = summarize(batch, counts);
  if (!summary.result || !details) {
    yield encoder.encode(JSON.stringify(summary));
    return;
  }
  const { result: counted, percentCompleted: _percent, ...head } = summary;
  const opening = JSON.stringify(recount ? { ...head, result: { details: [] } } : { ...summary, result: { ...counted, details: [] } });
  // Split the serialized object at its empty details array: ...,"details":[ | ]}}
  const cut = opening.lastIndexOf("[]");
  yield encoder.encode(opening.slice(0, cut + 1));
  let first = true;
  for await (const page of details) {
    if (page.length === 0) continue;
    const text = page.map((detail) => JSON.stringify(detail)).join(",");
    yield encoder.encode(first ? text : `,${text}`);
    first = false;
  }
  if (!recount) {
    yield encoder.encode(opening.slice(cut + 1));
    return;
  }
  const final = summarize(batch, await recount());
  const countMembers = JSON.stringify(final.result).slice(1, -1);
  yield encoder.encode(`],${countMembers}},"percentCompleted":${final.percentCompleted}}`);
}
