/** The life cycle of a batch and its documents, as Document Intelligence names it. */
export type BatchStatus = "notStarted" | "running" | "succeeded" | "failed" | "canceled";
export type DocumentStatus = "notStarted" | "running" | "succeeded" | "failed" | "skipped" | "canceled";
export type DocumentOutcome = Extract<DocumentStatus, "succeeded" | "failed" | "skipped" | "canceled">;

const BATCH_RANK: Record<BatchStatus, number> = { notStarted: 0, running: 1, succeeded: 2, failed: 2, canceled: 2 };
const DOCUMENT_RANK: Record<DocumentStatus, number> = { notStarted: 0, running: 1, succeeded: 2, failed: 2, skipped: 2, canceled: 2 };

export function isFinalBatchStatus(status: BatchStatus): boolean {
  return BATCH_RANK[status] === 2;
}

export function isFinalDocumentStatus(status: DocumentStatus): boolean {
  return DOCUMENT_RANK[status] === 2;
}

/** Status only moves forward: a final status is never replaced, not even by another final one. */
export function batchMayMove(from: BatchStatus, to: BatchStatus): boolean {
  return BATCH_RANK[to] > BATCH_RANK[from];
}

export interface DocumentCounts {
  succeeded: number;
  failed: number;
  skipped: number;
  canceled: number;
}

export const NO_DOCUMENTS: DocumentCounts = Object.freeze({ succeeded: 0, failed: 0, skipped: 0, canceled: 0 });

export function finishedCount(counts: DocumentCounts): number {
  return counts.succeeded + counts.failed + counts.skipped + counts.canceled;
}

export function percentCompleted(status: BatchStatus, counts: DocumentCounts, documentCount: number | undefined): number {
  if (status === "succeeded") return 100;
  if (!documentCount) return isFinalBatchStatus(status) ? 100 : 0;
  return Math.min(100, Math.floor((finishedCount(counts) * 100) / documentCount));
}
