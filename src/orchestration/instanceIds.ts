import type { RepairRun } from "../engine/model.js";
import { allRanges, type DocumentSpan } from "./documentRanges.js";

/** Instance ids are derived from the batch id, so status, cancel and purge can find every instance of a batch. */
export function batchInstanceId(batchId: string): string {
  return batchId;
}

/** A range of the batch's tree; with `repairRound`, a range the check before completion runs again in that round. */
export function rangeInstanceId(batchId: string, range: DocumentSpan, repairRound?: number): string {
  return repairRound === undefined ? `${batchId}:${range.first}+${range.count}` : `${batchId}:r${repairRound}:${range.first}+${range.count}`;
}

/**
 * Every instance a batch's orchestration creates: the batch's, one per range of its tree (known
 * once prepared), and one per range of the runs its check before completion started again.
 */
export function batchInstanceIds(batch: { batchId: string; itemCount?: number; itemsPerLeaf?: number; repairs?: { runs: RepairRun[] } }): string[] {
  const ids = [batchInstanceId(batch.batchId)];
  if (batch.itemCount && batch.itemsPerLeaf) {
    for (const range of allRanges({ first: 0, count: batch.itemCount }, batch.itemsPerLeaf)) ids.push(rangeInstanceId(batch.batchId, range));
    for (const run of batch.repairs?.runs ?? []) {
      for (const range of allRanges(run, batch.itemsPerLeaf)) ids.push(rangeInstanceId(batch.batchId, range, run.round));
    }
  }
  return ids;
}
