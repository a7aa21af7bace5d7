import type { BatchRecord, BatchSummary, ItemCounts, ItemMetrics, ItemOutcome, ItemRecord, ItemSeed } from "./model.js";
import { batchMayMove, isFinalBatchStatus, isFinalItemStatus, neverStarted, NO_ITEMS } from "./statusRules.js";
import { BatchExistsError, type FinishItemOptions, type ItemFinish, type ListBatchesOptions, type SlotClaim, type StatusStore, type StoredBatch, type StoredItem } from "./statusStore.js";

/**
 * A StatusStore in memory with the same guarantees as the table one (the shared contract test
 * runs against both): engine unit tests use it. Every call is atomic, as JavaScript runs one
 * call's synchronous part at a time; rows are copied in and out so callers never share them.
 */
export class InMemoryStatusStore implements StatusStore {
  protected readonly batches = new Map<string, { record: BatchRecord; etag: string }>();
  protected readonly items = new Map<string, Map<number, { record: ItemRecord; etag: string }>>();
  protected readonly totals = new Map<string, { counts: ItemCounts; metrics: ItemMetrics }>();
  private readonly running = new Map<string, number>();
  private readonly slots = new Map<string, { claimed: number; sealed: boolean }>();
  private version = 0;

  constructor(private readonly now: () => Date = () => new Date()) {}

  private etag(): string {
    return `W/"${++this.version}"`;
  }

  async createBatch(batch: BatchRecord): Promise<void> {
    const key = batchKey(batch.kind, batch.batchId);
    if (this.batches.has(key)) throw new BatchExistsError(batch.batchId);
    this.batches.set(key, { record: copy(batch), etag: this.etag() });
  }

  async getBatch(kind: string, batchId: string): Promise<StoredBatch | undefined> {
    const row = this.batches.get(batchKey(kind, batchId));
    return row ? { ...copy(row.record), etag: row.etag } : undefined;
  }

  async getSummary(kind: string, batchId: string): Promise<BatchSummary | undefined> {
    const row = this.batches.get(batchKey(kind, batchId));
    if (!row) return undefined;
    const record = copy(row.record);
    const items = [...(this.items.get(batchId)?.values() ?? [])].map((item) => item.record.updatedAt);
    const itemsChangedAt = items.length > 0 ? { itemsChangedAt: items.reduce((newest, at) => (at > newest ? at : newest)) } : {};
    return { batch: record, ...(record.archivedTotals ?? (await this.readCounts(batchId))), running: this.running.get(batchId) ?? 0, ...itemsChangedAt };
  }

  async updateBatch(kind: string, batchId: string, change: (current: BatchRecord) => Partial<BatchRecord> | undefined): Promise<BatchRecord | undefined> {
    const key = batchKey(kind, batchId);
    const row = this.batches.get(key);
    if (!row) return undefined;
    const patch = change(copy(row.record));
    if (!patch) return copy(row.record);
    if (patch.status && !batchMayMove(row.record.status, patch.status)) delete patch.status;
    const next: BatchRecord = { ...row.record, ...copy(patch), kind, batchId, updatedAt: this.now().toISOString() };
    this.batches.set(key, { record: next, etag: this.etag() });
    return copy(next);
  }

  async deleteBatch(kind: string, batchId: string): Promise<void> {
    this.batches.delete(batchKey(kind, batchId));
  }

  async listBatches(kind: string, options: ListBatchesOptions): Promise<{ batches: BatchRecord[]; continuationToken?: string }> {
    const start = options.continuationToken ?? options.after;
    const matching = [...this.batches.values()]
      .map((row) => row.record)
      .filter((batch) => batch.kind === kind && !batch.deleted)
      .filter((batch) => Object.entries(options.labels ?? {}).every(([key, value]) => batch.labels?.[key] === value))
      .filter((batch) => start === undefined || batch.batchId > start)
      .sort((a, b) => (a.batchId < b.batchId ? -1 : a.batchId > b.batchId ? 1 : 0));
    const page = matching.slice(0, options.maxPageSize);
    const more = matching.length > page.length;
    return { batches: page.map(copy), ...(more ? { continuationToken: page[page.length - 1].batchId } : {}) };
  }

  async *listBatchesToPurge(cutoff: Date): AsyncIterable<BatchRecord> {
    const due = [...this.batches.values()]
      .map((row) => row.record)
      .filter(
        (batch) =>
          batch.deleted ||
          (batch.completedAt !== undefined && new Date(batch.completedAt) < cutoff) ||
          (neverStarted(batch) && new Date(batch.updatedAt) < cutoff),
      );
    for (const batch of due) yield copy(batch);
  }

  async *listQuietUnfinishedBatches(updatedBefore: Date): AsyncIterable<BatchRecord> {
    const quiet = [...this.batches.values()]
      .map((row) => row.record)
      .filter((batch) => !neverStarted(batch) && !batch.deleted && !isFinalBatchStatus(batch.status) && new Date(batch.updatedAt) < updatedBefore);
    for (const batch of quiet) yield copy(batch);
  }

  async addItems(batchId: string, firstIndex: number, seeds: readonly ItemSeed[]): Promise<void> {
    if (firstIndex === 0 && !this.totals.has(batchId)) this.totals.set(batchId, { counts: { ...NO_ITEMS }, metrics: {} });
    let rows = this.items.get(batchId);
    if (!rows) this.items.set(batchId, (rows = new Map()));
    const updatedAt = this.now().toISOString();
    seeds.forEach((seed, offset) => {
      const index = firstIndex + offset;
      if (rows.has(index)) return;
      const record: ItemRecord = { index, name: seed.name, status: "notStarted", updatedAt, ...(seed.data !== undefined ? { data: seed.data } : {}) };
      rows.set(index, { record, etag: this.etag() });
    });
  }

  async getItem(batchId: string, index: number): Promise<StoredItem | undefined> {
    const row = this.items.get(batchId)?.get(index);
    return row ? { ...copy(row.record), etag: row.etag } : undefined;
  }

  async *listItemRange(batchId: string, first: number, count: number): AsyncIterable<StoredItem> {
    for (let index = first; index < first + count; index++) {
      const row = this.items.get(batchId)?.get(index);
      if (row) yield { ...copy(row.record), etag: row.etag };
    }
  }

  async *listItems(batchId: string, options: { pageSize?: number; statuses?: readonly ItemRecord["status"][] } = {}): AsyncIterable<ItemRecord[]> {
    const rows = [...(this.items.get(batchId)?.values() ?? [])]
      .map((row) => row.record)
      .filter((item) => !options.statuses?.length || options.statuses.includes(item.status))
      .sort((a, b) => a.index - b.index);
    const size = options.pageSize ?? 1000;
    for (let start = 0; start < rows.length; start += size) yield rows.slice(start, start + size).map(copy);
  }

  async markItemRunning(batchId: string, index: number): Promise<StoredItem | undefined> {
    const row = this.items.get(batchId)?.get(index);
    if (!row) return undefined;
    if (row.record.status === "notStarted") {
      row.record = { ...row.record, status: "running", updatedAt: this.now().toISOString() };
      row.etag = this.etag();
      this.running.set(batchId, (this.running.get(batchId) ?? 0) + 1);
    }
    return { ...copy(row.record), etag: row.etag };
  }

  async finishItem(batchId: string, index: number, outcome: ItemOutcome, options: FinishItemOptions = {}): Promise<ItemRecord> {
    const row = this.items.get(batchId)?.get(index);
    if (!row) throw new Error(`Item ${index} of batch ${batchId} has no status row`);
    if (isFinalItemStatus(row.record.status)) return copy(row.record);
    if (row.record.status === "running") this.running.set(batchId, (this.running.get(batchId) ?? 1) - 1);
    row.record = {
      ...row.record,
      status: outcome,
      updatedAt: this.now().toISOString(),
      ...(options.error ? { error: copy(options.error) } : {}),
      ...(options.metrics ? { metrics: { ...options.metrics } } : {}),
    };
    row.etag = this.etag();
    const totals = this.totals.get(batchId) ?? { counts: { ...NO_ITEMS }, metrics: {} };
    totals.counts[outcome]++;
    for (const [key, value] of Object.entries(options.metrics ?? {})) totals.metrics[key] = (totals.metrics[key] ?? 0) + value;
    this.totals.set(batchId, totals);
    return copy(row.record);
  }

  async finishItems(batchId: string, finishes: readonly ItemFinish[]): Promise<ItemRecord[]> {
    const records: ItemRecord[] = [];
    for (const { index, outcome, ...options } of finishes) records.push(await this.finishItem(batchId, index, outcome, options));
    return records;
  }

  async readCounts(batchId: string): Promise<{ counts: ItemCounts; metrics: ItemMetrics }> {
    const totals = this.totals.get(batchId);
    return { counts: { ...(totals?.counts ?? NO_ITEMS) }, metrics: { ...(totals?.metrics ?? {}) } };
  }

  async reopenItems(batchId: string, indexes: readonly number[]): Promise<number> {
    const totals = this.totals.get(batchId) ?? { counts: { ...NO_ITEMS }, metrics: {} };
    let reopened = 0;
    for (const index of new Set(indexes)) {
      const row = this.items.get(batchId)?.get(index);
      if (!row || !isFinalItemStatus(row.record.status)) continue;
      const { status, error: _error, metrics, ...rest } = row.record;
      totals.counts[status as ItemOutcome]--;
      for (const [key, value] of Object.entries(metrics ?? {})) totals.metrics[key] = (totals.metrics[key] ?? 0) - value;
      row.record = { ...rest, status: "notStarted", updatedAt: this.now().toISOString() };
      row.etag = this.etag();
      reopened++;
    }
    this.totals.set(batchId, totals);
    return reopened;
  }

  async recountItems(batchId: string): Promise<{ counts: ItemCounts; metrics: ItemMetrics }> {
    const totals = { counts: { ...NO_ITEMS }, metrics: {} as ItemMetrics };
    let running = 0;
    for (const { record } of this.items.get(batchId)?.values() ?? []) {
      if (record.status === "running") running++;
      if (!isFinalItemStatus(record.status)) continue;
      totals.counts[record.status as ItemOutcome]++;
      for (const [key, value] of Object.entries(record.metrics ?? {})) totals.metrics[key] = (totals.metrics[key] ?? 0) + value;
    }
    this.totals.set(batchId, totals);
    this.running.set(batchId, running);
    return { counts: { ...totals.counts }, metrics: { ...totals.metrics } };
  }

  async claimSlot(batchId: string, options: { limit: number }): Promise<SlotClaim> {
    const slots = this.slots.get(batchId) ?? { claimed: 0, sealed: false };
    if (slots.sealed) return { outcome: "sealed" };
    if (slots.claimed >= options.limit) return { outcome: "full" };
    this.slots.set(batchId, { claimed: slots.claimed + 1, sealed: false });
    return { outcome: "claimed", index: slots.claimed };
  }

  async sealSlots(batchId: string): Promise<number> {
    const slots = this.slots.get(batchId) ?? { claimed: 0, sealed: false };
    this.slots.set(batchId, { ...slots, sealed: true });
    return slots.claimed;
  }

  async countSlots(batchId: string): Promise<{ claimed: number; sealed: boolean }> {
    return { ...(this.slots.get(batchId) ?? { claimed: 0, sealed: false }) };
  }

  async deleteItems(batchId: string): Promise<number> {
    const slots = this.slots.get(batchId);
    const rows = (this.items.get(batchId)?.size ?? 0) + (this.totals.has(batchId) ? 1 : 0) + (slots ? slots.claimed + (slots.sealed ? 1 : 0) : 0);
    this.slots.delete(batchId);
    this.items.delete(batchId);
    this.totals.delete(batchId);
    this.running.delete(batchId);
    return rows;
  }
}

function batchKey(kind: string, batchId: string): string {
  return `${kind}\u0000${batchId}`;
}

function copy<T>(value: T): T {
  return structuredClone(value);
}
