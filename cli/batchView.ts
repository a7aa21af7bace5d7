// The CLI's one picture of a batch, whichever front door runs it, so that progress, summaries,
// `list` and `status` render all three the same way.

export type FrontDoorName = "documentIntelligence" | "uploadBatch" | "openai";

export interface ItemCounts {
  /** Items in the batch, when the front door says (or the CLI knows: it uploaded them). */
  total?: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

export interface BatchView {
  id: string;
  frontDoor: FrontDoorName;
  /** Model, endpoint or prompt label: what the batch runs. */
  label: string;
  /** The front door's own status word. */
  status: string;
  /** running while not final; otherwise how it ended. */
  outcome: "running" | "succeeded" | "failed" | "canceled";
  counts: ItemCounts;
  percentCompleted?: number;
  createdAt?: string;
  updatedAt?: string;
  /** The batch-wide error of a failed batch. */
  error?: string;
}

export interface FailedItem {
  /** The document's name, or the line's custom id. */
  name: string;
  error: string;
}

export function settledCount(counts: ItemCounts): number {
  return counts.succeeded + counts.failed + counts.skipped;
}
