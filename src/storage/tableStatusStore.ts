import { randomUUID } from "node:crypto";
import { untilAccessGranted, type AccessWait } from "../shared/accessPending.js";
import { odata, RestError, TableClient, TableTransaction, type TableEntityResult } from "@azure/data-tables";
import { FINAL_BATCH_STATUSES, type BatchRecord, type BatchSummary, type EngineError, type ItemCounts, type ItemMetrics, type ItemOutcome, type ItemRecord, type ItemSeed } from "../engine/model.js";
import { batchMayMove, isFinalItemStatus, LABEL_KEY_PATTERN, METRIC_KEY_PATTERN, neverStarted, NO_ITEMS } from "../engine/statusRules.js";
import { BatchExistsError, InvalidContinuationTokenError, type FinishItemOptions, type ItemFinish, type ListBatchesOptions, type SlotClaim, type StatusStore, type StoredBatch, type StoredItem } from "../engine/statusStore.js";
import type { AppStorage } from "./appStorage.js";

/**
 * The StatusStore on Table Storage (see src/engine/statusStore.ts for the guarantees).
 *
 * - `{prefix}Batches`: one row per batch; PartitionKey = kind, RowKey = batch id. Batch ids sort
 *   newest first (src/engine/batchIds.ts), so a kind's batches list newest first from one
 *   partition. Labels are columns `l_<key>`, so listing by one (DI: model id) is a filter.
 * - `{prefix}Documents` (the items table; its name predates other kinds): PartitionKey = batch
 *   id. Item rows `d<9-digit index>`; counter shards `c<nn>` holding counts and metric sums
 *   (`m_<key>`). An item's outcome and its shard change in one entity-group transaction, so
 *   counts and sums are exact under retries and duplicate deliveries, and a summary reads one
 *   batch row plus the shards: its cost does not grow with the batch. A shard also counts its
 *   items recorded `running` (`running`): marking one running adds to it in the same
 *   transaction, settling a running one takes it off.
 */
export const COUNTER_SHARDS = 16;
const ITEM_ROW_PREFIX = "d";
const COUNTER_ROW_PREFIX = "c";
const SLOT_ROW_PREFIX = "s";
const SLOT_ROWS_END = "t";
/** Batches whose next slot this process remembers (one batch being uploaded to needs one entry). */
const MAX_SLOT_TICKET_BATCHES = 1000;
const LABEL_COLUMN = "l_";
const METRIC_COLUMN = "m_";
const MAX_CONFLICT_RETRIES = 50;
const TRANSACTION_SIZE = 100;

export interface TableStatusStoreOptions {
  tablePrefix: string;
  now?: () => Date;
  /** How long creating the tables waits out a refusal of the identity (first start after a deployment). */
  accessWait?: AccessWait;
}

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };
interface ShardTotals {
  counts: ItemCounts;
  metrics: ItemMetrics;
  running: number;
}
interface BatchTotals extends ShardTotals {
  /** The newest shard's Timestamp: every item change writes a shard (in the item's transaction). */
  itemsChangedAt?: string;
}
/** This process's view of a batch's slots: the next index to try, and indexes handed back. */
interface SlotTickets {
  next: number;
  returned: number[];
  /** Indexes whose insert is under way. */
  inFlight: Set<number>;
}
interface Shard extends ShardTotals {
  etag: string;
}

export class TableStatusStore implements StatusStore {
  private readonly batches: TableClient;
  private readonly items: TableClient;
  private ready?: Promise<void>;
  private readonly now: () => Date;
  private readonly accessWait?: AccessWait;
  /**
   * Counter shards as this process last wrote them. Saves the shard read on most items;
   * a stale entry only costs a 412 and a re-read, never a wrong count.
   */
  private readonly shards = new Map<string, Shard>();
  /** Shards this process's writes in flight use, by batch (shard number → writers). */
  private readonly heldShards = new Map<string, Map<number, number>>();
  private readonly slotTickets = new Map<string, SlotTickets>();

  constructor(storage: AppStorage, options: TableStatusStoreOptions) {
    this.batches = storage.table(`${options.tablePrefix}Batches`);
    this.items = storage.table(`${options.tablePrefix}Documents`);
    this.now = options.now ?? (() => new Date());
    this.accessWait = options.accessWait;
  }

  /** Creates the tables once per process. */
  ensureTables(): Promise<void> {
    // The first storage call of a process: on a fresh deployment the identity's roles may still
    // be propagating, so refusals are waited out here (shared/accessPending.ts).
    this.ready ??= untilAccessGranted(
      "docbatch's storage account",
      () => Promise.all([createIfMissing(this.batches), createIfMissing(this.items)]).then(() => undefined),
      this.accessWait,
    );
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  /**
   * The row carries a token of this call: when the SDK retries an insert whose first attempt
   * landed but whose answer was lost or late, the retry gets EntityAlreadyExists, and the token
   * in the row tells that the row is this call's own.
   */
  async createBatch(batch: BatchRecord): Promise<void> {
    await this.ensureTables();
    const createToken = randomUUID();
    try {
      await this.batches.createEntity({ ...toBatchEntity(batch), createToken });
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      const existing = await this.batches.getEntity<Entity>(batch.kind, batch.batchId).catch((read: unknown) => {
        if (isStatus(read, 404)) return undefined;
        throw read;
      });
      if (existing?.createToken !== createToken) throw new BatchExistsError(batch.batchId);
    }
  }

  async getBatch(kind: string, batchId: string): Promise<StoredBatch | undefined> {
    await this.ensureTables();
    try {
      const entity = await this.batches.getEntity<Entity>(kind, batchId);
      return { ...fromBatchEntity(entity), etag: entity.etag };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async getSummary(kind: string, batchId: string): Promise<BatchSummary | undefined> {
    const [batch, totals] = await Promise.all([this.getBatch(kind, batchId), this.readTotals(batchId)]);
    if (!batch) return undefined;
    const { etag: _etag, ...record } = batch;
    const itemsChangedAt = totals.itemsChangedAt ? { itemsChangedAt: totals.itemsChangedAt } : {};
    return { batch: record, ...(record.archivedTotals ?? totals), running: totals.running, ...itemsChangedAt };
  }

  async updateBatch(
    kind: string,
    batchId: string,
    change: (current: BatchRecord) => Partial<BatchRecord> | undefined,
  ): Promise<BatchRecord | undefined> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const stored = await this.getBatch(kind, batchId);
      if (!stored) return undefined;
      const { etag, ...current } = stored;
      const patch = change(current);
      if (!patch) return current;
      if (patch.status && !batchMayMove(current.status, patch.status)) delete patch.status;
      const next: BatchRecord = { ...current, ...patch, kind, batchId, updatedAt: this.now().toISOString() };
      try {
        await this.batches.updateEntity(toBatchEntity(next), "Replace", { etag });
        return next;
      } catch (error) {
        if (!isStatus(error, 412)) throw error;
      }
    }
    throw new Error(`Batch ${batchId} is being changed by too many writers at once`);
  }

  async deleteBatch(kind: string, batchId: string): Promise<void> {
    await this.ensureTables();
    await ignoreStatus(404, this.batches.deleteEntity(kind, batchId));
  }

  async listBatches(kind: string, options: ListBatchesOptions): Promise<{ batches: BatchRecord[]; continuationToken?: string }> {
    await this.ensureTables();
    let filter = odata`PartitionKey eq ${kind} and deleted eq ${false}`;
    if (options.after) filter += ` and ${odata`RowKey gt ${options.after}`}`;
    for (const [key, value] of Object.entries(options.labels ?? {})) filter += ` and ${labelColumn(key)} eq '${value.replaceAll("'", "''")}'`;
    if (options.continuationToken !== undefined) requireOwnToken(options.continuationToken);
    const pages = this.batches
      .listEntities<Entity>({ queryOptions: { filter } })
      .byPage({ maxPageSize: options.maxPageSize, continuationToken: options.continuationToken });
    const { value } = await pages.next();
    const page = value ?? [];
    return { batches: page.map(fromBatchEntity), ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
  }

  async *listBatchesToPurge(cutoff: Date): AsyncIterable<BatchRecord> {
    await this.ensureTables();
    const entities = this.batches.listEntities<Entity>({
      queryOptions: {
        // updatedAt is an ISO 8601 string column: its order is the string order.
        filter: odata`completedAt lt ${cutoff} or deleted eq ${true} or (status eq ${"notStarted"} and updatedAt lt ${cutoff.toISOString()})`,
      },
    });
    for await (const entity of entities) {
      const batch = fromBatchEntity(entity);
      // Table queries cannot ask for a column to be absent: never started is checked here.
      if (batch.deleted || batch.completedAt || neverStarted(batch)) yield batch;
    }
  }

  async *listQuietUnfinishedBatches(updatedBefore: Date): AsyncIterable<BatchRecord> {
    await this.ensureTables();
    // updatedAt is an ISO 8601 string column, so its order is the string order.
    const notFinal = [...FINAL_BATCH_STATUSES].map((status) => odata`status ne ${status}`).join(" and ");
    const entities = this.batches.listEntities<Entity>({
      queryOptions: { filter: `${odata`deleted eq ${false} and updatedAt lt ${updatedBefore.toISOString()}`} and ${notFinal}` },
    });
    // Table queries cannot ask for a column to be present: started is checked here.
    for await (const entity of entities) {
      if (typeof entity.kind !== "string") continue;
      const batch = fromBatchEntity(entity);
      if (!neverStarted(batch)) yield batch;
    }
  }

  async addItems(batchId: string, firstIndex: number, items: readonly ItemSeed[]): Promise<void> {
    await this.ensureTables();
    if (firstIndex === 0) await this.createCounters(batchId);
    const updatedAt = this.now().toISOString();
    const rows: Entity[] = items.map((item, offset) => ({
      partitionKey: batchId,
      rowKey: itemRowKey(firstIndex + offset),
      index: firstIndex + offset,
      name: item.name,
      status: "notStarted",
      updatedAt,
      ...(item.data !== undefined ? { data: item.data } : {}),
    }));
    for (let start = 0; start < rows.length; start += TRANSACTION_SIZE) {
      const slice = rows.slice(start, start + TRANSACTION_SIZE);
      const transaction = new TableTransaction();
      for (const row of slice) transaction.createEntity(row);
      try {
        await this.items.submitTransaction(transaction.actions);
      } catch (error) {
        // A re-run of prepare: some rows exist. Create the missing ones and leave the rest as they are.
        if (!isStatus(error, 409)) throw error;
        for (const row of slice) await ignoreStatus(409, this.items.createEntity(row));
      }
    }
  }

  private async createCounters(batchId: string): Promise<void> {
    const transaction = new TableTransaction();
    for (let shard = 0; shard < COUNTER_SHARDS; shard++) {
      transaction.createEntity({ partitionKey: batchId, rowKey: counterRowKey(shard), ...NO_ITEMS });
    }
    // They are created together, so a conflict means all exist already (a re-run of prepare).
    await ignoreStatus(409, this.items.submitTransaction(transaction.actions));
  }

  async readCounts(batchId: string): Promise<{ counts: ItemCounts; metrics: ItemMetrics }> {
    const { counts, metrics } = await this.readTotals(batchId);
    return { counts, metrics };
  }

  /** The shards summed: one query of COUNTER_SHARDS rows. */
  private async readTotals(batchId: string): Promise<BatchTotals> {
    await this.ensureTables();
    const counts: ItemCounts = { ...NO_ITEMS };
    const metrics: ItemMetrics = {};
    let running = 0;
    let itemsChangedAt: Date | undefined;
    const shards = this.items.listEntities<Entity>({
      queryOptions: { filter: odata`PartitionKey eq ${batchId} and RowKey ge ${COUNTER_ROW_PREFIX} and RowKey lt ${ITEM_ROW_PREFIX}` },
    });
    for await (const entity of shards) {
      const shard = shardOf(entity);
      for (const key of Object.keys(counts) as (keyof ItemCounts)[]) counts[key] += shard.counts[key];
      for (const [key, value] of Object.entries(shard.metrics)) metrics[key] = (metrics[key] ?? 0) + value;
      running += shard.running;
      const written = entity.timestamp ? new Date(String(entity.timestamp)) : undefined;
      if (written && !Number.isNaN(written.getTime()) && (!itemsChangedAt || written > itemsChangedAt)) itemsChangedAt = written;
    }
    // Items marked running before the shards counted them are settled below zero: never report less than none.
    return { counts, metrics, running: Math.max(0, running), ...(itemsChangedAt ? { itemsChangedAt: itemsChangedAt.toISOString() } : {}) };
  }

  /** A counter shard, from this process's cache when it has it. */
  private async readShard(batchId: string, shardKey: string): Promise<{ shard: Shard; cached: boolean }> {
    const cached = this.shards.get(`${batchId}/${shardKey}`);
    if (cached) return { shard: cached, cached: true };
    const entity = await this.items.getEntity<Entity>(batchId, shardKey);
    return { shard: { ...shardOf(entity), etag: entity.etag }, cached: false };
  }

  async getItem(batchId: string, index: number): Promise<StoredItem | undefined> {
    await this.ensureTables();
    try {
      const entity = await this.items.getEntity<Entity>(batchId, itemRowKey(index));
      return { ...fromItemEntity(entity), etag: entity.etag };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async *listItemRange(batchId: string, first: number, count: number): AsyncIterable<StoredItem> {
    await this.ensureTables();
    const entities = this.items.listEntities<Entity>({
      queryOptions: { filter: odata`PartitionKey eq ${batchId} and RowKey ge ${itemRowKey(first)} and RowKey lt ${itemRowKey(first + count)}` },
    });
    for await (const entity of entities) yield { ...fromItemEntity(entity), etag: entity.etag };
  }

  async *listItems(batchId: string, options: { pageSize?: number; statuses?: readonly ItemRecord["status"][] } = {}): AsyncIterable<ItemRecord[]> {
    await this.ensureTables();
    let filter = odata`PartitionKey eq ${batchId} and RowKey ge ${ITEM_ROW_PREFIX} and RowKey lt ${"e"}`;
    if (options.statuses?.length) filter += ` and (${options.statuses.map((status) => odata`status eq ${status}`).join(" or ")})`;
    const pages = this.items.listEntities<Entity>({ queryOptions: { filter } }).byPage({ maxPageSize: options.pageSize ?? 1000 });
    for await (const page of pages) yield page.map(fromItemEntity);
  }

  async markItemRunning(batchId: string, index: number, known?: StoredItem): Promise<StoredItem | undefined> {
    const shardKey = counterRowKey(index % COUNTER_SHARDS);
    const shardCacheKey = `${batchId}/${shardKey}`;
    let current = known;
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      current ??= await this.getItem(batchId, index);
      if (!current || current.status !== "notStarted") return current;
      const { shard, cached } = await this.readShard(batchId, shardKey);
      const next: ItemRecord = { ...stripEtag(current), status: "running", updatedAt: this.now().toISOString() };
      const running = shard.running + 1;
      const transaction = new TableTransaction();
      transaction.updateEntity(toItemEntity(batchId, next), "Replace", { etag: current.etag });
      transaction.updateEntity(toShardEntity(batchId, shardKey, { ...shard, running }), "Replace", { etag: shard.etag });
      try {
        const response = await this.items.submitTransaction(transaction.actions);
        // Sub-responses come in the order of the actions: [item, shard].
        const shardEtag = response.subResponses[1]?.etag;
        this.rememberShard(shardCacheKey, shardEtag ? { ...shard, running, etag: shardEtag } : undefined);
        return { ...next, etag: response.subResponses[0]?.etag ?? "" };
      } catch (error) {
        if (!isStatus(error, 412) && !isStatus(error, 409)) throw error;
        // The item or the shard moved: read both again.
        this.shards.delete(shardCacheKey);
        current = undefined;
        if (!cached) await jitter(attempt);
      }
    }
    throw new Error(`Item ${index} of batch ${batchId} is being changed by too many writers at once`);
  }

  async finishItem(batchId: string, index: number, outcome: ItemOutcome, options: FinishItemOptions = {}): Promise<ItemRecord> {
    const [record] = await this.finishItems(batchId, [{ index, outcome, ...options }]);
    return record;
  }

  /**
   * Settles items of one batch in one entity-group transaction per TRANSACTION_SIZE - 1 items:
   * each item row (conditional on its etag) and one counter shard carrying all their counts
   * and metric sums. Any shard will do, since a summary adds them all up; this process picks one
   * none of its own writes holds, so its concurrent activities do not conflict on shards.
   */
  async finishItems(batchId: string, finishes: readonly ItemFinish[]): Promise<ItemRecord[]> {
    const records = new Map<number, ItemRecord>();
    for (let start = 0; start < finishes.length; start += TRANSACTION_SIZE - 1) {
      for (const record of await this.finishTogether(batchId, finishes.slice(start, start + TRANSACTION_SIZE - 1))) records.set(record.index, record);
    }
    return finishes.map((finish) => records.get(finish.index)!);
  }

  private async finishTogether(batchId: string, finishes: readonly ItemFinish[]): Promise<ItemRecord[]> {
    const wanted = new Map(finishes.map((finish) => [finish.index, { ...finish, metrics: checkedMetrics(finish.metrics) }]));
    const settled: ItemRecord[] = [];
    const shardKey = this.claimShard(batchId, finishes[0].index);
    const shardCacheKey = `${batchId}/${shardKey}`;
    try {
      let guesses: Map<number, StoredItem> | undefined = new Map(finishes.flatMap((finish) => (finish.known ? [[finish.index, finish.known] as const] : [])));
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const cachedShard = this.shards.get(shardCacheKey);
        const [current, shard] = await Promise.all([
          this.currentItems(batchId, [...wanted.keys()], guesses),
          cachedShard ?? this.items.getEntity<Entity>(batchId, shardKey).then((entity) => ({ ...shardOf(entity), etag: entity.etag })),
        ]);
        let running = shard.running;
        guesses = undefined;
        const transaction = new TableTransaction();
        const next: ItemRecord[] = [];
        const counts = { ...shard.counts };
        const sums = { ...shard.metrics };
        for (const [index, finish] of wanted) {
          const item = current.get(index);
          if (!item) throw new Error(`Item ${index} of batch ${batchId} has no status row`);
          if (isFinalItemStatus(item.status)) {
            settled.push(stripEtag(item));
            wanted.delete(index);
            continue;
          }
          const record: ItemRecord = { ...stripEtag(item), status: finish.outcome, error: finish.error, metrics: finish.metrics, updatedAt: this.now().toISOString() };
          next.push(record);
          counts[finish.outcome]++;
          // The item may have been counted running on another shard: only the sum of shards is exact.
          if (item.status === "running") running--;
          for (const [key, value] of Object.entries(finish.metrics ?? {})) sums[key] = (sums[key] ?? 0) + value;
          transaction.updateEntity(toItemEntity(batchId, record), "Replace", { etag: item.etag });
        }
        if (next.length === 0) return settled;
        transaction.updateEntity(toShardEntity(batchId, shardKey, { counts, metrics: sums, running }), "Replace", { etag: shard.etag });
        try {
          const response = await this.items.submitTransaction(transaction.actions);
          // Sub-responses come in the order of the actions: the items, then the shard.
          const shardEtag = response.subResponses[next.length]?.etag;
          this.rememberShard(shardCacheKey, shardEtag ? { counts, metrics: sums, running, etag: shardEtag } : undefined);
          return [...settled, ...next];
        } catch (caught) {
          if (!isStatus(caught, 412) && !isStatus(caught, 409)) throw caught;
          // Some row changed (another writer, a duplicate delivery): read them all again.
          this.shards.delete(shardCacheKey);
          if (!cachedShard) await jitter(attempt);
        }
      }
    } finally {
      this.releaseShard(batchId, shardKey);
    }
    throw new Error(`Items ${finishes.map((finish) => finish.index).join(", ")} of batch ${batchId} could not be recorded: too many concurrent writers`);
  }

  /** The rows of `indexes`: the callers' guesses if they gave all, else one range read (or point reads for far-apart indexes). */
  private async currentItems(batchId: string, indexes: number[], guesses: Map<number, StoredItem> | undefined): Promise<Map<number, StoredItem>> {
    if (guesses && indexes.every((index) => guesses.has(index))) return guesses;
    const rows = new Map<number, StoredItem>();
    const first = Math.min(...indexes);
    const span = Math.max(...indexes) - first + 1;
    if (indexes.length > 1 && span <= TRANSACTION_SIZE) {
      const wanted = new Set(indexes);
      for await (const row of this.listItemRange(batchId, first, span)) if (wanted.has(row.index)) rows.set(row.index, row);
    } else {
      for (const row of await Promise.all(indexes.map((index) => this.getItem(batchId, index)))) if (row) rows.set(row.index, row);
    }
    return rows;
  }

  /** A shard for a write of this process: the preferred one unless another write of ours holds it. */
  private claimShard(batchId: string, preferred: number): string {
    let held = this.heldShards.get(batchId);
    if (!held) this.heldShards.set(batchId, (held = new Map()));
    let shard = preferred % COUNTER_SHARDS;
    for (let step = 0; step < COUNTER_SHARDS && held.has(shard); step++) shard = (shard + 1) % COUNTER_SHARDS;
    held.set(shard, (held.get(shard) ?? 0) + 1);
    return counterRowKey(shard);
  }

  private releaseShard(batchId: string, shardKey: string): void {
    const held = this.heldShards.get(batchId);
    const shard = Number(shardKey.slice(COUNTER_ROW_PREFIX.length));
    const holders = (held?.get(shard) ?? 1) - 1;
    if (holders > 0) held!.set(shard, holders);
    else held?.delete(shard);
    if (held?.size === 0) this.heldShards.delete(batchId);
  }

  private rememberShard(key: string, shard: Shard | undefined): void {
    this.shards.delete(key);
    if (!shard) return;
    this.shards.set(key, shard);
    if (this.shards.size > 4096) this.shards.delete(this.shards.keys().next().value!);
  }

  /** Per TRANSACTION_SIZE - 1 items: their rows back to notStarted and one shard taking their counts off, in one transaction. */
  async reopenItems(batchId: string, indexes: readonly number[]): Promise<number> {
    await this.ensureTables();
    const unique = [...new Set(indexes)].sort((a, b) => a - b);
    let reopened = 0;
    for (let start = 0; start < unique.length; start += TRANSACTION_SIZE - 1) reopened += await this.reopenTogether(batchId, unique.slice(start, start + TRANSACTION_SIZE - 1));
    return reopened;
  }

  private async reopenTogether(batchId: string, indexes: number[]): Promise<number> {
    const shardKey = this.claimShard(batchId, indexes[0]);
    const shardCacheKey = `${batchId}/${shardKey}`;
    try {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const [current, shard] = await Promise.all([this.currentItems(batchId, indexes, undefined), this.readShard(batchId, shardKey).then(({ shard }) => shard)]);
        const counts = { ...shard.counts };
        const sums = { ...shard.metrics };
        const transaction = new TableTransaction();
        let moved = 0;
        for (const item of current.values()) {
          if (!isFinalItemStatus(item.status)) continue;
          counts[item.status as ItemOutcome]--;
          for (const [key, value] of Object.entries(item.metrics ?? {})) sums[key] = (sums[key] ?? 0) - value;
          const { status: _status, error: _error, metrics: _metrics, ...rest } = stripEtag(item);
          transaction.updateEntity(toItemEntity(batchId, { ...rest, status: "notStarted", updatedAt: this.now().toISOString() }), "Replace", { etag: item.etag });
          moved++;
        }
        if (moved === 0) return 0;
        transaction.updateEntity(toShardEntity(batchId, shardKey, { counts, metrics: sums, running: shard.running }), "Replace", { etag: shard.etag });
        try {
          await this.items.submitTransaction(transaction.actions);
          this.shards.delete(shardCacheKey);
          return moved;
        } catch (caught) {
          if (!isStatus(caught, 412) && !isStatus(caught, 409)) throw caught;
          this.shards.delete(shardCacheKey);
          await jitter(attempt);
        }
      }
    } finally {
      this.releaseShard(batchId, shardKey);
    }
    throw new Error(`Items of batch ${batchId} could not be reopened: too many concurrent writers`);
  }

  /**
   * The shards are read (with their etags) before the item rows: an outcome recorded after that
   * read changes a shard, so the rebuild's conditional write fails and is tried again; one
   * recorded before it is in the rows. Shard 0 gets the totals, the others are zeroed.
   */
  async recountItems(batchId: string): Promise<{ counts: ItemCounts; metrics: ItemMetrics }> {
    await this.ensureTables();
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const shards = new Map<string, string>();
      const shardRows = this.items.listEntities<Entity>({
        queryOptions: { filter: odata`PartitionKey eq ${batchId} and RowKey ge ${COUNTER_ROW_PREFIX} and RowKey lt ${ITEM_ROW_PREFIX}`, select: ["RowKey"] },
      });
      for await (const entity of shardRows) shards.set(entity.rowKey, entity.etag);
      const totals: ShardTotals = { counts: { ...NO_ITEMS }, metrics: {}, running: 0 };
      for await (const page of this.listItems(batchId)) {
        for (const item of page) {
          if (item.status === "running") totals.running++;
          if (!isFinalItemStatus(item.status)) continue;
          totals.counts[item.status as ItemOutcome]++;
          for (const [key, value] of Object.entries(item.metrics ?? {})) totals.metrics[key] = (totals.metrics[key] ?? 0) + value;
        }
      }
      const transaction = new TableTransaction();
      for (let shard = 0; shard < COUNTER_SHARDS; shard++) {
        const rowKey = counterRowKey(shard);
        const entity = toShardEntity(batchId, rowKey, shard === 0 ? totals : { counts: { ...NO_ITEMS }, metrics: {}, running: 0 });
        const etag = shards.get(rowKey);
        // A shard lost with its writes is created again; one that exists is replaced only as read.
        if (etag) transaction.updateEntity(entity, "Replace", { etag });
        else transaction.createEntity(entity);
      }
      for (const key of [...this.shards.keys()]) if (key.startsWith(`${batchId}/`)) this.shards.delete(key);
      try {
        await this.items.submitTransaction(transaction.actions);
        return { counts: totals.counts, metrics: totals.metrics };
      } catch (caught) {
        if (!isStatus(caught, 412) && !isStatus(caught, 409)) throw caught;
        await jitter(attempt);
      }
    }
    throw new Error(`The counters of batch ${batchId} could not be rebuilt: too many concurrent writers`);
  }

  /**
   * A slot is a row of its own (`s` + index) in the batch's item partition, claimed by a
   * conditional insert: the row's existence is the claim, so nothing shared is rewritten. Slots
   * stay a dense prefix 0..k-1 because an index is tried only when every lower one is known taken:
   * this process hands its claimers consecutive indexes from what it last saw, and a claimer that
   * finds its index taken (another process) reads the slots from there on and goes past them. An
   * index whose insert failed is handed out again first. The seal is a slot too, so a claim after
   * it always meets it.
   */
  async claimSlot(batchId: string, options: { limit: number }): Promise<SlotClaim> {
    await this.ensureTables();
    const token = randomUUID();
    let tickets = this.slotTickets.get(batchId);
    if (!tickets) {
      const found = await this.scanSlots(batchId, 0, token);
      if (found.sealedAt !== undefined) return { outcome: "sealed" };
      tickets = this.slotTickets.get(batchId) ?? this.keepSlotTickets(batchId, found.next);
    }
    for (;;) {
      const index = takeTicket(tickets);
      if (index >= options.limit) {
        tickets.returned.push(index);
        return { outcome: "full" };
      }
      // Lower indexes not yet known taken: a seal may land on one of them before this insert does.
      const lowestOpen = lowestOpenBelow(tickets, index);
      tickets.inFlight.add(index);
      try {
        await this.items.createEntity({ partitionKey: batchId, rowKey: slotRowKey(index), token });
        tickets.inFlight.delete(index);
        // A slot past the seal counts for nothing (every count stops at the seal): the claim is refused.
        if (lowestOpen !== undefined && (await this.scanSlots(batchId, lowestOpen, token, index)).sealedAt !== undefined) return { outcome: "sealed" };
        return { outcome: "claimed", index };
      } catch (error) {
        tickets.inFlight.delete(index);
        if (!isStatus(error, 409)) {
          tickets.returned.push(index);
          throw error;
        }
        const found = await this.scanSlots(batchId, index, token);
        // A retried insert whose first attempt landed: the slot is this call's own.
        if (found.own !== undefined) return { outcome: "claimed", index: found.own };
        if (found.sealedAt !== undefined) return { outcome: "sealed" };
        tickets.next = Math.max(tickets.next, found.next);
      }
    }
  }

  async sealSlots(batchId: string): Promise<number> {
    await this.ensureTables();
    const token = randomUUID();
    let found = await this.scanSlots(batchId, 0, token);
    for (;;) {
      if (found.sealedAt !== undefined) return found.sealedAt;
      try {
        await this.items.createEntity({ partitionKey: batchId, rowKey: slotRowKey(found.next), token, seal: true });
        return found.next;
      } catch (error) {
        if (!isStatus(error, 409)) throw error;
        found = await this.scanSlots(batchId, found.next, token);
      }
    }
  }

  async countSlots(batchId: string): Promise<{ claimed: number; sealed: boolean }> {
    await this.ensureTables();
    const found = await this.scanSlots(batchId, 0, "");
    return found.sealedAt !== undefined ? { claimed: found.sealedAt, sealed: true } : { claimed: found.next, sealed: false };
  }

  /** The slots from `from` on (up to `until`, excluded): the first index after them, where the seal is, and the slot `token` claimed (if any). */
  private async scanSlots(batchId: string, from: number, token: string, until?: number): Promise<{ next: number; sealedAt?: number; own?: number }> {
    const end = until === undefined ? SLOT_ROWS_END : slotRowKey(until);
    const rows = this.items.listEntities<Entity>({
      queryOptions: { filter: odata`PartitionKey eq ${batchId} and RowKey ge ${slotRowKey(from)} and RowKey lt ${end}`, select: ["RowKey", "token", "seal"] },
    });
    let next = from;
    let sealedAt: number | undefined;
    let own: number | undefined;
    for await (const row of rows) {
      const index = Number(row.rowKey.slice(SLOT_ROW_PREFIX.length));
      next = Math.max(next, index + 1);
      if (row.seal === true) sealedAt = index;
      else if (token && row.token === token) own = index;
    }
    return { next, ...(sealedAt !== undefined ? { sealedAt } : {}), ...(own !== undefined ? { own } : {}) };
  }

  private keepSlotTickets(batchId: string, next: number): SlotTickets {
    if (this.slotTickets.size >= MAX_SLOT_TICKET_BATCHES) this.slotTickets.delete(this.slotTickets.keys().next().value!);
    const tickets: SlotTickets = { next, returned: [], inFlight: new Set() };
    this.slotTickets.set(batchId, tickets);
    return tickets;
  }

  async deleteItems(batchId: string): Promise<number> {
    await this.ensureTables();
    this.slotTickets.delete(batchId);
    let deleted = 0;
    const keys = this.items
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${batchId}`, select: ["RowKey"] } })
      .byPage({ maxPageSize: 1000 });
    for await (const page of keys) {
      for (let start = 0; start < page.length; start += TRANSACTION_SIZE) {
        const transaction = new TableTransaction();
        for (const entity of page.slice(start, start + TRANSACTION_SIZE)) transaction.deleteEntity(batchId, entity.rowKey!);
        await this.items.submitTransaction(transaction.actions);
        deleted += Math.min(TRANSACTION_SIZE, page.length - start);
      }
    }
    for (const key of [...this.shards.keys()]) if (key.startsWith(`${batchId}/`)) this.shards.delete(key);
    return deleted;
  }
}

function slotRowKey(index: number): string {
  return `${SLOT_ROW_PREFIX}${String(index).padStart(9, "0")}`;
}

/** The lowest index handed back (an insert that failed), else the next one never handed out. Synchronous: concurrent claimers get distinct indexes. */
function takeTicket(tickets: SlotTickets): number {
  if (tickets.returned.length === 0) return tickets.next++;
  const lowest = Math.min(...tickets.returned);
  tickets.returned.splice(tickets.returned.indexOf(lowest), 1);
  return lowest;
}

/** The lowest index below `index` that may still be free: handed out and not yet inserted, or handed back. */
function lowestOpenBelow(tickets: SlotTickets, index: number): number | undefined {
  let lowest: number | undefined;
  for (const open of [...tickets.inFlight, ...tickets.returned]) if (open < index && (lowest === undefined || open < lowest)) lowest = open;
  return lowest;
}

export function itemRowKey(index: number): string {
  return `${ITEM_ROW_PREFIX}${String(index).padStart(9, "0")}`;
}

function counterRowKey(shard: number): string {
  return `${COUNTER_ROW_PREFIX}${String(shard).padStart(2, "0")}`;
}

function labelColumn(key: string): string {
  if (!LABEL_KEY_PATTERN.test(key)) throw new Error(`Label key '${key}' must match ${LABEL_KEY_PATTERN.source}`);
  return `${LABEL_COLUMN}${key}`;
}

function checkedMetrics(metrics: ItemMetrics | undefined): ItemMetrics | undefined {
  if (!metrics) return undefined;
  for (const [key, value] of Object.entries(metrics)) {
    if (!METRIC_KEY_PATTERN.test(key)) throw new Error(`Metric key '${key}' must match ${METRIC_KEY_PATTERN.source}`);
    if (!Number.isFinite(value)) throw new Error(`Metric '${key}' must be a finite number`);
  }
  return metrics;
}

function toBatchEntity(batch: BatchRecord): Entity {
  const entity: Entity = {
    partitionKey: batch.kind,
    rowKey: batch.batchId,
    kind: batch.kind,
    batchId: batch.batchId,
    status: batch.status,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
    cancelRequested: batch.cancelRequested,
    deleted: batch.deleted,
    spec: batch.spec,
  };
  // A Date column, so the purge can filter on it.
  if (batch.completedAt) entity.completedAt = new Date(batch.completedAt);
  if (batch.startedAt) entity.startedAt = batch.startedAt;
  if (batch.itemCount !== undefined) entity.itemCount = batch.itemCount;
  if (batch.itemsPerLeaf !== undefined) entity.itemsPerLeaf = batch.itemsPerLeaf;
  if (batch.maxConcurrency !== undefined) entity.maxConcurrency = batch.maxConcurrency;
  if (batch.error) entity.errorJson = JSON.stringify(batch.error);
  if (batch.milestones) entity.milestonesJson = JSON.stringify(batch.milestones);
  if (batch.archivedTotals) entity.archivedTotalsJson = JSON.stringify(batch.archivedTotals);
  if (batch.repairs) entity.repairsJson = JSON.stringify(batch.repairs);
  for (const [key, value] of Object.entries(batch.labels ?? {})) entity[labelColumn(key)] = value;
  return entity;
}

function fromBatchEntity(entity: TableEntityResult<Entity>): BatchRecord {
  const labels: Record<string, string> = {};
  for (const [column, value] of Object.entries(entity)) {
    if (column.startsWith(LABEL_COLUMN) && typeof value === "string") labels[column.slice(LABEL_COLUMN.length)] = value;
  }
  const completedAt = entity.completedAt;
  return {
    kind: entity.kind as string,
    batchId: entity.batchId as string,
    status: entity.status as BatchRecord["status"],
    createdAt: entity.createdAt as string,
    updatedAt: entity.updatedAt as string,
    ...(typeof entity.startedAt === "string" ? { startedAt: entity.startedAt } : {}),
    ...(completedAt ? { completedAt: new Date(completedAt as Date | string).toISOString() } : {}),
    ...(typeof entity.itemCount === "number" ? { itemCount: entity.itemCount } : {}),
    ...(typeof entity.itemsPerLeaf === "number" ? { itemsPerLeaf: entity.itemsPerLeaf } : {}),
    ...(typeof entity.maxConcurrency === "number" ? { maxConcurrency: entity.maxConcurrency } : {}),
    cancelRequested: entity.cancelRequested === true,
    deleted: entity.deleted === true,
    ...(typeof entity.errorJson === "string" ? { error: parseError(entity.errorJson) } : {}),
    ...(typeof entity.milestonesJson === "string" ? { milestones: JSON.parse(entity.milestonesJson) as BatchRecord["milestones"] } : {}),
    ...(typeof entity.archivedTotalsJson === "string" ? { archivedTotals: JSON.parse(entity.archivedTotalsJson) as BatchRecord["archivedTotals"] } : {}),
    ...(typeof entity.repairsJson === "string" ? { repairs: JSON.parse(entity.repairsJson) as BatchRecord["repairs"] } : {}),
    spec: (entity.spec as string | undefined) ?? "{}",
    ...(Object.keys(labels).length ? { labels } : {}),
  };
}

function toItemEntity(batchId: string, item: ItemRecord): Entity {
  const entity: Entity = {
    partitionKey: batchId,
    rowKey: itemRowKey(item.index),
    index: item.index,
    name: item.name,
    status: item.status,
    updatedAt: item.updatedAt,
  };
  if (item.data !== undefined) entity.data = item.data;
  if (item.error) entity.errorJson = JSON.stringify(item.error);
  for (const [key, value] of Object.entries(item.metrics ?? {})) entity[`${METRIC_COLUMN}${key}`] = value;
  return entity;
}

function fromItemEntity(entity: Entity): ItemRecord {
  const metrics = metricsOf(entity);
  return {
    index: entity.index as number,
    name: entity.name as string,
    status: entity.status as ItemRecord["status"],
    updatedAt: entity.updatedAt as string,
    ...(typeof entity.errorJson === "string" ? { error: parseError(entity.errorJson) } : {}),
    ...(typeof entity.data === "string" ? { data: entity.data } : {}),
    ...(Object.keys(metrics).length ? { metrics } : {}),
  };
}

function toShardEntity(batchId: string, rowKey: string, { counts, metrics, running }: ShardTotals): Entity {
  const entity: Entity = { partitionKey: batchId, rowKey, ...counts, running };
  for (const [key, value] of Object.entries(metrics)) entity[`${METRIC_COLUMN}${key}`] = value;
  return entity;
}

function shardOf(entity: Record<string, unknown>): ShardTotals {
  return {
    running: Number(entity.running ?? 0),
    counts: {
      succeeded: Number(entity.succeeded ?? 0),
      failed: Number(entity.failed ?? 0),
      skipped: Number(entity.skipped ?? 0),
      canceled: Number(entity.canceled ?? 0),
    },
    metrics: metricsOf(entity),
  };
}

function metricsOf(entity: Record<string, unknown>): ItemMetrics {
  const metrics: ItemMetrics = {};
  for (const [column, value] of Object.entries(entity)) {
    if (column.startsWith(METRIC_COLUMN) && typeof value === "number") metrics[column.slice(METRIC_COLUMN.length)] = value;
  }
  return metrics;
}

/** Errors are stored as EngineError `{ code, message, details? }` in JSON. */
function parseError(json: string): EngineError {
  const { code, message, details } = JSON.parse(json) as Record<string, unknown>;
  return { code: String(code), message: String(message), ...(isPlainObject(details) ? { details } : {}) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stripEtag<T extends { etag: string }>(row: T): Omit<T, "etag"> {
  const { etag: _etag, ...rest } = row;
  return rest;
}

async function createIfMissing(table: TableClient): Promise<void> {
  try {
    await table.createTable();
  } catch (error) {
    if (!isStatus(error, 409)) throw error;
  }
}

export function isStatus(error: unknown, status: number): boolean {
  return error instanceof RestError ? error.statusCode === status : (error as { statusCode?: number })?.statusCode === status;
}

async function ignoreStatus(status: number, promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!isStatus(error, status)) throw error;
  }
}

function jitter(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(200, 5 * 2 ** Math.min(attempt, 6));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Table continuation tokens are base64 JSON `{ nextPartitionKey, nextRowKey? }` (the SDK's
 * encoding); anything else would fail deep in the SDK as an unexplained error. The query's
 * partition filter keeps any well-formed token inside this kind's batches.
 */
function requireOwnToken(token: string): void {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
  } catch {
    throw new InvalidContinuationTokenError();
  }
  const { nextPartitionKey, nextRowKey } = (decoded ?? {}) as { nextPartitionKey?: unknown; nextRowKey?: unknown };
  if (typeof nextPartitionKey !== "string" || (nextRowKey !== undefined && typeof nextRowKey !== "string")) throw new InvalidContinuationTokenError();
}
