import type { BatchRecord } from "./model.js";
import type { StatusStore } from "./statusStore.js";

/**
 * Batch rows read by item activities, kept for a moment: every item of a batch needs the same
 * row, and re-reading it for each one is a table request per item. A cancel made through this
 * instance is seen by its next activity (`forget`); one made through another within `maxAgeMs`.
 */
export class RecentBatches {
  private readonly entries = new Map<string, { batch: Promise<BatchRecord | undefined>; readAt: number }>();

  constructor(
    private readonly store: StatusStore,
    private readonly options: { maxAgeMs: number; maxEntries: number } = { maxAgeMs: 1000, maxEntries: 256 },
  ) {}

  get(kind: string, batchId: string): Promise<BatchRecord | undefined> {
    const key = `${kind}/${batchId}`;
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && now - cached.readAt < this.options.maxAgeMs) return cached.batch;
    const batch = this.store.getBatch(kind, batchId);
    this.entries.delete(key);
    this.entries.set(key, { batch, readAt: now });
    batch.catch(() => this.entries.delete(key));
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return batch;
  }

  /** Drops the row kept for a batch, so the next read sees a change just written (a cancel, a delete). */
  forget(kind: string, batchId: string): void {
    this.entries.delete(`${kind}/${batchId}`);
  }
}
