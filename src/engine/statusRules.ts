import type { BatchRecord, BatchStatus, ItemStatus } from "./model.js";

/*
 * Status only moves forward: phases in their order, then one final status that is never
 * replaced, not even by another final one. Both status stores apply these rules.
 */
const BATCH_RANK: Record<BatchStatus, number> = {
  notStarted: 0,
  preparing: 1,
  processing: 2,
  finalizing: 3,
  succeeded: 4,
  failed: 4,
  canceled: 4,
  expired: 4,
};
const ITEM_RANK: Record<ItemStatus, number> = { notStarted: 0, running: 1, succeeded: 2, failed: 2, skipped: 2, canceled: 2 };

export function isFinalBatchStatus(status: BatchStatus): boolean {
  return BATCH_RANK[status] === 4;
}

export function isFinalItemStatus(status: ItemStatus): boolean {
  return ITEM_RANK[status] === 2;
}

/**
 * A batch no orchestration was started for: a cancel may make it final at once, and the
 * stranded-batch sweep leaves it to its caller's start. A row past notStarted has started,
 * whatever `startedAt` says (rows written before the store kept it have none).
 */
export function neverStarted(batch: Pick<BatchRecord, "startedAt" | "status">): boolean {
  return !batch.startedAt && batch.status === "notStarted";
}

export function batchMayMove(from: BatchStatus, to: BatchStatus): boolean {
  return BATCH_RANK[to] > BATCH_RANK[from];
}

export const NO_ITEMS = Object.freeze({ succeeded: 0, failed: 0, skipped: 0, canceled: 0 });

export function settledCount(counts: { succeeded: number; failed: number; skipped: number; canceled: number }): number {
  return counts.succeeded + counts.failed + counts.skipped + counts.canceled;
}

/** Metric keys become table column names: short identifiers only. */
export const METRIC_KEY_PATTERN = /^[a-zA-Z][a-zA-Z0-9]{0,30}$/;
export const LABEL_KEY_PATTERN = METRIC_KEY_PATTERN;
