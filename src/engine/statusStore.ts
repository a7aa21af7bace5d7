import type { BatchRecord, BatchSummary, EngineError, ItemCounts, ItemMetrics, ItemOutcome, ItemRecord, ItemSeed } from "./model.js";

/**
 * Where every batch's and every item's status is kept. The Table Storage adapter
 * (src/storage/) is what runs; an in-memory one serves engine unit tests. Both honour every
 * guarantee written here; the engine relies on nothing else.
 */
export interface StatusStore {
  /**
   * Creates the batch row. Never overwrites: when the id exists because another create wrote it,
   * fails with BatchExistsError. An insert retried after its first attempt landed (a slow answer,
   * a dropped connection) finds its own row and succeeds.
   */
  createBatch(batch: BatchRecord): Promise<void>;

  /** The batch row, or undefined. One read. */
  getBatch(kind: string, batchId: string): Promise<StoredBatch | undefined>;

  /** The batch row with its item counts, metric sums and running items: a fixed number of reads whatever the batch size. */
  getSummary(kind: string, batchId: string): Promise<BatchSummary | undefined>;

  /**
   * Read-modify-write with optimistic concurrency, retried on conflict. `change` returns the
   * fields to set, or undefined to leave the row alone. A status change that would move a final
   * status (or move backwards) is dropped. Returns the row as stored afterwards, undefined when
   * the batch does not exist.
   */
  updateBatch(kind: string, batchId: string, change: (current: BatchRecord) => Partial<BatchRecord> | undefined): Promise<BatchRecord | undefined>;

  /** Removes the batch row; no error when it is gone already. */
  deleteBatch(kind: string, batchId: string): Promise<void>;

  /**
   * One kind's batches that are not deleted, newest first, a page at a time.
   * `labels` keeps only batches whose labels match all given pairs.
   * `after` starts after that batch id (OpenAI-style paging); `continuationToken` resumes a page sequence.
   * A token that cannot be one of this store's fails with InvalidContinuationTokenError.
   */
  listBatches(kind: string, options: ListBatchesOptions): Promise<{ batches: BatchRecord[]; continuationToken?: string }>;

  /**
   * Every batch, any kind, that completed before `cutoff`, was deleted, or was never started
   * (statusRules.neverStarted) and has not changed since `cutoff` (an upload batch its caller
   * abandoned, the row of a create that could not be confirmed).
   */
  listBatchesToPurge(cutoff: Date): AsyncIterable<BatchRecord>;

  /**
   * Every batch, any kind, that was started, is neither final nor deleted, and whose row last
   * changed before `updatedBefore`: the ones the stranded-batch sweep checks an orchestration for.
   */
  listQuietUnfinishedBatches(updatedBefore: Date): AsyncIterable<BatchRecord>;

  /**
   * Records listed items from `firstIndex` on, as `notStarted`, with zeroed counters the first
   * time. Idempotent: a re-run of prepare rewrites the same rows; rows already settled are not
   * reset (prepare never re-lists past a settled item in practice).
   */
  addItems(batchId: string, firstIndex: number, items: readonly ItemSeed[]): Promise<void>;

  getItem(batchId: string, index: number): Promise<StoredItem | undefined>;

  /** Items with indexes in [first, first+count), in index order, with their etags. */
  listItemRange(batchId: string, first: number, count: number): AsyncIterable<StoredItem>;

  /** A batch's items in index order, a page at a time; never the whole batch in memory. */
  listItems(batchId: string, options?: { pageSize?: number; statuses?: readonly ItemRecord["status"][] }): AsyncIterable<ItemRecord[]>;

  /**
   * Marks an item `running` unless it has settled, counting it among the batch's running items
   * in the same atomic change; settling it takes it off that count. Idempotent: counted once.
   */
  markItemRunning(batchId: string, index: number, known?: StoredItem): Promise<StoredItem | undefined>;

  /**
   * Settles an item exactly once: its outcome and its counter shard (count + metrics) change
   * in one atomic transaction. If the item had already settled, nothing changes and the earlier
   * record is returned. `known` (the row as last read by the caller) saves a read.
   */
  finishItem(batchId: string, index: number, outcome: ItemOutcome, options?: FinishItemOptions): Promise<ItemRecord>;

  /**
   * Settles several items of a batch as finishItem does each, with as few writes as the store
   * can (Table Storage: one transaction for up to 99 items and one counter shard). Returns the
   * records in the order of `finishes`.
   */
  finishItems(batchId: string, finishes: readonly ItemFinish[]): Promise<ItemRecord[]>;

  /** Counts and metric sums of settled items: a fixed number of reads whatever the batch size. */
  readCounts(batchId: string): Promise<{ counts: ItemCounts; metrics: ItemMetrics }>;

  /**
   * Takes settled items back to `notStarted`, their counts and metric sums off the counters in
   * the same atomic change, so running them again counts them once (a `succeeded` item whose
   * result is missing). Items not settled, or missing, are left alone. Returns how many moved.
   */
  reopenItems(batchId: string, indexes: readonly number[]): Promise<number>;

  /**
   * Rebuilds the counters (counts, metric sums, items running) from the item rows, one pass over
   * them: for counters that lost a write their item rows kept. Outcomes recorded concurrently are
   * not lost (the rebuild is conditional on the counters it read, and retried). Returns the counts.
   */
  recountItems(batchId: string): Promise<{ counts: ItemCounts; metrics: ItemMetrics }>;

  /**
   * Gives the caller the lowest free slot of a batch (0, 1, 2, ...): unique and dense however many
   * callers claim at once, without a read-modify-write of any shared row (upload indexes). Refused
   * once the batch's slots are sealed, or when the free slot would be `limit` or more.
   */
  claimSlot(batchId: string, options: { limit: number }): Promise<SlotClaim>;

  /**
   * Seals a batch's slots: no claim succeeds afterwards. Returns how many slots were claimed before
   * the seal; sealing again returns the same number (a retried or concurrent seal).
   */
  sealSlots(batchId: string): Promise<number>;

  /** How many slots are claimed, and whether they are sealed. Reads every slot: for batches still being filled. */
  countSlots(batchId: string): Promise<{ claimed: number; sealed: boolean }>;

  /** Deletes every item row, counter and slot of a batch; returns how many rows went. */
  deleteItems(batchId: string): Promise<number>;
}

export type SlotClaim = { outcome: "claimed"; index: number } | { outcome: "sealed" } | { outcome: "full" };

/** createBatch found the id taken by another create's row (never by a retry of its own insert). */
export class BatchExistsError extends Error {
  override readonly name = "BatchExistsError";
  /** As Table Storage's EntityAlreadyExists answers: callers that test the status keep working. */
  readonly statusCode = 409;
  constructor(readonly batchId: string) {
    super(`Batch ${batchId} exists already`);
  }
}

/** A `continuationToken` this store cannot have handed out: the caller's mistake. */
export class InvalidContinuationTokenError extends Error {
  override readonly name = "InvalidContinuationTokenError";
  constructor() {
    super("The continuationToken is not one this service returned. Start again without it, then pass on the one each nextLink carries, unchanged.");
  }
}

export interface StoredBatch extends BatchRecord {
  etag: string;
}

export interface StoredItem extends ItemRecord {
  etag: string;
}

export interface ListBatchesOptions {
  maxPageSize: number;
  continuationToken?: string;
  after?: string;
  labels?: Record<string, string>;
}

export interface FinishItemOptions {
  error?: EngineError;
  metrics?: ItemMetrics;
  known?: StoredItem;
}

export interface ItemFinish extends FinishItemOptions {
  index: number;
  outcome: ItemOutcome;
}
