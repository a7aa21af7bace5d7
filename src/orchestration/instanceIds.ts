import type { DocumentSpan } from "./documentRanges.js";

/** Instance ids are derived from the batch id, so status, cancel and purge can find every instance of a batch. */
export function batchInstanceId(batchId: string): string {
  return batchId;
}

export function rangeInstanceId(batchId: string, range: DocumentSpan): string {
  return `${batchId}:${range.first}+${range.count}`;
}
