import type { BatchRecord, StatusTable } from "../storage/statusTable.js";

/**
 * Batch rows read by document activities, kept for a moment: every document of a batch needs
 * the same row, and re-reading it for each one is a table request per document. A cancel is
 * still seen within `maxAgeMs`.
 */
export class RecentBatches {
  private readonly entries = new Map<string, { batch: Promise<BatchRecord | undefined>; readAt: number }>();

  constructor(
    private readonly statusTable: StatusTable,
    private readonly options: { maxAgeMs: number; maxEntries: number } = { maxAgeMs: 1000, maxEntries: 256 },
  ) {}

  get(modelId: string, batchId: string): Promise<BatchRecord | undefined> {
    const now = Date.now();
    const cached = this.entries.get(batchId);
    if (cached && now - cached.readAt < this.options.maxAgeMs) return cached.batch;
    const batch = this.statusTable.getBatch(modelId, batchId);
    this.entries.delete(batchId);
    this.entries.set(batchId, { batch, readAt: now });
    batch.catch(() => this.entries.delete(batchId));
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return batch;
  }
}
