import type { BatchRecord, ItemMetrics, ItemRecord, ItemSeed } from "./model.js";

/**
 * What a front door plugs into the engine (as a protocol plugs into core-lro's generic poller):
 * how its items are listed, how one is processed, and what happens once all are settled.
 * The engine owns status, counting, retries, concurrency, cancel and the range tree.
 * A kind never imports another kind or a front door's wire code.
 */
export interface BatchKind {
  /** Stored as BatchRecord.kind; also the status store's partition for the kind's batches. */
  readonly name: string;

  /**
   * Lists the batch's items, a page at a time, in the order their indexes are given.
   * Runs inside the prepare activity and may be re-run after a crash: it must list the same
   * items in the same order. Throws ItemError for batch-wide problems (the batch fails with it).
   */
  listItems(batch: BatchRecord, options: { signal?: AbortSignal }): AsyncIterable<ItemSeed[]>;

  /**
   * Processes one item. Idempotent: the engine may deliver an item more than once (retries,
   * redelivery after a crash); doing it again must not duplicate its effects (conditional
   * writes, results keyed by batch and index). Returns the outcome to record; throws ItemError.
   * `signal` is aborted when the item's time limit passes or the host shuts down.
   */
  processItem(batch: BatchRecord, item: ItemRecord, options: { signal: AbortSignal }): Promise<ItemResult>;

  /**
   * Optional: which of the batch's `succeeded` items have no result where the kind keeps it (a
   * write storage lost, a result deleted). The check before a batch's final status
   * (src/engine/verifyBatch.ts) calls it with the succeeded items a page at a time and runs the
   * items it names again, which processItem's idempotency makes safe: a result this batch wrote
   * itself is its success, never a conflict. It runs once per healthy batch, so it must cost a
   * bounded number of requests per batch, not one per item (a listing of the results, not a
   * HEAD each). Returns their indexes; [] when the kind cannot tell (e.g. no right to list).
   */
  findMissingResults?(batch: BatchRecord, succeeded: AsyncIterable<ItemRecord[]>, options: { signal?: AbortSignal }): Promise<number[]>;

  /**
   * Optional: results an earlier run of these unsettled items recorded before it could settle
   * them (a crash or a lost activity between the work and the group's outcome write). The engine
   * settles those with them instead of processing them again, so work that costs (a paid upstream
   * call) is not done twice. Called once per group, before any of it is processed: keep it cheap.
   */
  recordedResults?(batch: BatchRecord, indexes: readonly number[]): Promise<ReadonlyMap<number, ItemResult>>;

  /**
   * Optional: runs once every item is settled (also after cancel, before the batch's final
   * status), e.g. to assemble output files. Retried by the engine; must be idempotent.
   */
  finalize?(batch: BatchRecord, options: { signal?: AbortSignal }): Promise<FinalizeResult | void>;

  /**
   * Optional: removes what the kind keeps of a batch beyond its status (uploaded documents,
   * output files). The purge calls it before it deletes the batch's status, and again if an
   * interrupted purge resumes: it must be idempotent.
   */
  purge?(batch: BatchRecord): Promise<void>;

  /**
   * Optional: whether a finished batch stays listable past the retention period (OpenAI keeps a
   * batch as long as its files exist). While it answers true, the purge removes the batch's item
   * rows and history but keeps its row, with its totals archived (BatchRecord.archivedTotals);
   * once it answers false the batch is purged as any other. Not asked for deleted batches.
   */
  keepsBatch?(batch: BatchRecord): Promise<boolean>;

  /**
   * Optional: the event this kind's door announces when a batch reaches a final status (sent
   * to the operator's webhook, see src/engine/announceBatch.ts): its type in the door's words
   * (`batch.completed`) and its data (`{ id }`). Undefined: nothing to announce.
   */
  finalEvent?(batch: BatchRecord): BatchEventContent | undefined;

  /** Time limit of one item's processItem (its signal aborts then); default: the engine's. */
  readonly itemTimeoutMs?: number;

  /**
   * Items of this kind one activity may process together (small items); default 1. A function
   * decides by the batch's item count (e.g. group only batches big enough to gain from it).
   */
  readonly itemsPerActivity?: number | ((itemCount: number) => number);

  /** Whether to record `running` when an item starts (costs a table write per item); default false. */
  readonly recordsRunning?: boolean;
}

export interface ItemResult {
  status: "succeeded" | "skipped";
  /** For `skipped`: why (e.g. DI OutputExists). */
  error?: { code: string; message: string; details?: Record<string, unknown> };
  metrics?: ItemMetrics;
}

export interface FinalizeResult {
  /** Overrides the batch's final status (e.g. `failed` when every line failed, `expired`). */
  status?: "succeeded" | "failed" | "expired";
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

/** What a kind says about its batch's final status; the engine adds the event's id and time. */
export interface BatchEventContent {
  type: string;
  data: Record<string, unknown>;
}
