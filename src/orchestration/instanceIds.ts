import { allRanges, type DocumentSpan } from "./documentRanges.js";

/** Instance ids are derived from the batch id, so status, cancel and purge can find every instance of a batch. */
export function batchInstanceId(batchId: string): string {
  return batchId;
}

export function rangeInstanceId(batchId: string, range: DocumentSpan): string {
  return `${batchId}:${range.first}+${range.count}`;
}

/** Every instance a batch's orchestration creates: the batch's and one per range of its tree (known once prepared). */
export function batchInstanceIds(batch: { batchId: string; itemCount?: number; itemsPerLeaf?: number }): string[] {
  const ids = [batchInstanceId(batch.batchId)];
  if (batch.itemCount && batch.itemsPerLeaf) {
    for (const range of allRanges({ first: 0, count: batch.itemCount }, batch.itemsPerLeaf)) ids.push(rangeInstanceId(batch.batchId, range));
  }
  return ids;
}
