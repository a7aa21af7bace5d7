import { percentCompleted, type DocumentCounts } from "../batch/status.js";
import { blobUrl } from "../storage/containerUrl.js";
import type { BatchRecord, DocumentRecord } from "../storage/statusTable.js";
import { relativeSourcePath } from "../batch/batchContainers.js";
import { resultBlobName } from "../storage/resultWriter.js";
import type { DiErrorBody } from "./errors.js";

/** `AnalyzeBatchOperation` without its details. URLs in it never carry a SAS. */
export interface AnalyzeBatchOperationSummary {
  resultId: string;
  status: BatchRecord["status"];
  percentCompleted: number;
  createdDateTime: string;
  lastUpdatedDateTime: string;
  error?: DiErrorBody;
  result?: { succeededCount: number; failedCount: number; skippedCount: number };
}

export interface BatchOperationDetail {
  status: DocumentRecord["status"];
  sourceUrl: string;
  resultUrl?: string;
  error?: DiErrorBody;
}

export function summarize(batch: BatchRecord, counts: DocumentCounts): AnalyzeBatchOperationSummary {
  return {
    resultId: batch.batchId,
    status: batch.status,
    percentCompleted: percentCompleted(batch.status, counts, batch.documentCount),
    createdDateTime: batch.createdDateTime,
    lastUpdatedDateTime: batch.lastUpdatedDateTime,
    ...(batch.error ? { error: batch.error } : {}),
    ...(batch.documentCount !== undefined
      ? { result: { succeededCount: counts.succeeded, failedCount: counts.failed, skippedCount: counts.skipped } }
      : {}),
  };
}

export function detailOf(batch: BatchRecord, document: DocumentRecord): BatchOperationDetail {
  return {
    status: document.status,
    sourceUrl: blobUrl({ url: batch.source.url }, document.name),
    ...(document.status === "succeeded"
      ? { resultUrl: blobUrl({ url: batch.resultUrl }, resultBlobName(batch.resultPrefix, relativeSourcePath(batch, document.name))) }
      : {}),
    ...(document.error ? { error: document.error } : {}),
  };
}

/**
 * The whole operation as a stream of JSON text: the summary first, then the details page by
 * page as they are read from the table, so a 100,000-document batch is never held in memory.
 */
export async function* streamOperation(
  summary: AnalyzeBatchOperationSummary,
  details: AsyncIterable<BatchOperationDetail[]> | undefined,
): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  const { result, ...head } = summary;
  if (!result || !details) {
    yield encoder.encode(JSON.stringify(summary));
    return;
  }
  const opening = JSON.stringify({ ...head, result: { ...result, details: [] } });
  // Split the serialized object at its empty details array: "...details":[ | ]}}
  const cut = opening.lastIndexOf("[]");
  yield encoder.encode(opening.slice(0, cut + 1));
  let first = true;
  for await (const page of details) {
    if (page.length === 0) continue;
    const text = page.map((detail) => JSON.stringify(detail)).join(",");
    yield encoder.encode(first ? text : `,${text}`);
    first = false;
  }
  yield encoder.encode(opening.slice(cut + 1));
}
