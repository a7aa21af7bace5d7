/**
 * How orchestrations address a batch and runs of its items: kind, id and indexes, never item
 * lists, so orchestration inputs and histories stay small whatever the batch size.
 */
export interface BatchRef {
  kind: string;
  batchId: string;
}

/** Items [first, first+count) of a batch: what one item activity processes. */
export interface ItemGroup extends BatchRef {
  /** The first item's index (named `index` so one-item groups read like one item). */
  index: number;
  count: number;
}

export interface ItemSpan extends BatchRef {
  first: number;
  count: number;
}

/** What prepare tells the orchestration: enough to plan the range tree, nothing more. */
export type PreparedBatch =
  | {
      outcome: "ready";
      itemCount: number;
      itemsPerLeaf: number;
      itemsPerActivity: number;
      /** Items of this batch in flight at once; undefined = no per-batch limit. */
      maxConcurrency?: number;
      /** Whether the kind has a finalize step. */
      finalize: boolean;
    }
  | { outcome: "canceled"; finalize: boolean }
  | { outcome: "failed" | "gone" };

/** Settles a batch: the kind's finalize result, when it ran. */
export interface CompleteBatchInput extends BatchRef {
  finalized?: { status?: "succeeded" | "failed" | "expired"; error?: { code: string; message: string; details?: Record<string, unknown> } };
}

export interface FailUnfinishedInput extends ItemSpan {
  reason: string;
}
