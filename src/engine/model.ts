/**
 * The neutral model every front door shares. A front door maps these words to its own
 * (DI `running`, OpenAI `in_progress`, DocuDevs `PROCESSING` ...); the engine never knows which
 * API created a batch.
 */

/**
 * Where a batch is in its life. `preparing` lists and validates items; `processing` runs them
 * through the range tree; `finalizing` runs the kind's optional finalize step (assembling
 * output files). The last four are final: a final status is never replaced.
 */
export type BatchStatus = "notStarted" | "preparing" | "processing" | "finalizing" | "succeeded" | "failed" | "canceled" | "expired";

/** One item's life. `running` is optional: kinds with long items (LLM calls) record it. */
export type ItemStatus = "notStarted" | "running" | "succeeded" | "failed" | "skipped" | "canceled";
export type ItemOutcome = Extract<ItemStatus, "succeeded" | "failed" | "skipped" | "canceled">;

/**
 * A failure the engine keeps and a front door renders in its own error format. `details` is the
 * kind's own (DI keeps `target` and `innererror` there; OpenAI the upstream status and body).
 */
export interface EngineError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Counts of settled items. Exact under retries and duplicate delivery (see StatusStore). */
export interface ItemCounts {
  succeeded: number;
  failed: number;
  skipped: number;
  canceled: number;
}

/**
 * Numbers a kind reports per item and the store sums per batch in the same transaction as the
 * item's outcome (DocuDevs `tokenCount`, OpenAI `usage`), so the sums are exact too.
 * Keys are short identifiers: [a-zA-Z][a-zA-Z0-9]{0,30}.
 */
export type ItemMetrics = Record<string, number>;

export interface BatchRecord {
  /** The batch kind's name (see BatchKind.name): which front door's batch this is. */
  kind: string;
  batchId: string;
  status: BatchStatus;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  /** Set when the batch's run was started (a batch may be created first and started later). */
  startedAt?: string;
  /** Set when the batch reached a final status (or was deleted): retention counts from here. */
  completedAt?: string;
  /** Items listed by prepare; undefined until then. */
  itemCount?: number;
  /** Items per leaf range, fixed when the batch was prepared (purge derives instance ids from it). */
  itemsPerLeaf?: number;
  /** At most this many of the batch's items in flight at once; undefined = no per-batch limit. */
  maxConcurrency?: number;
  cancelRequested: boolean;
  /** Deleted by its caller: invisible at once, its rows removed by the next purge. */
  deleted: boolean;
  /** When the batch entered a phase (OpenAI's `in_progress_at`, `finalizing_at`, `cancelling_at`). ISO 8601. */
  milestones?: BatchMilestones;
  /**
   * Set when the purge removed the item rows of a batch its kind keeps listable
   * (BatchKind.keepsBatch): the counts and sums as they were, served as its summary from then on.
   */
  archivedTotals?: { counts: ItemCounts; metrics: ItemMetrics };
  /** Batch-wide failure (a source that cannot be listed, invalid input file ...). */
  error?: EngineError;
  /**
   * What the engine's check before a final status (src/engine/verifyBatch.ts) had to repair:
   * `items` run again (found unsettled, or succeeded with their result missing) or failed after
   * the last round, `counters` rebuilt from the item rows. Absent while nothing needed repair.
   */
  repairs?: BatchRepairs;
  /**
   * The kind's own description of the batch, as JSON the kind reads back (source, options,
   * result location ...). Secrets in it are sealed by the kind before they get here.
   */
  spec: string;
  /**
   * A few scalar fields a front door filters or lists by (DI: `modelId`), stored as columns.
   * Keys are short identifiers; values strings.
   */
  labels?: Record<string, string>;
}

export interface BatchRepairs {
  items: number;
  counters: number;
  /** The last check round whose repairs are counted: a check delivered again adds nothing. */
  lastRound: number;
  /** The item runs each round started again (durable instance ids derive from them: the purge removes their histories). */
  runs: RepairRun[];
}

/** Items [first, first+count) of a batch run again in check round `round`. */
export interface RepairRun {
  round: number;
  first: number;
  count: number;
}

export interface BatchMilestones {
  processingAt?: string;
  finalizingAt?: string;
  cancelRequestedAt?: string;
  /** When the stranded-batch sweep started the batch's orchestration again (src/engine/strandedBatches.ts). */
  restartedAt?: string;
}

export interface ItemRecord {
  index: number;
  /** What the kind listed: a blob name, an upload's name, a custom_id. */
  name: string;
  status: ItemStatus;
  updatedAt: string;
  error?: EngineError;
  /** A small JSON string the kind keeps per item when listing it (e.g. a line's byte range). */
  data?: string;
  metrics?: ItemMetrics;
}

/** What prepare records for each item it lists. */
export interface ItemSeed {
  name: string;
  data?: string;
}

export interface BatchSummary {
  batch: BatchRecord;
  counts: ItemCounts;
  /** Sums of the items' metrics. */
  metrics: ItemMetrics;
  /** Items recorded `running` and not settled yet (kinds with `recordsRunning`); the stores always set it. */
  running?: number;
  /**
   * When an item of the batch last changed (marked running or settled), ISO 8601; the batch row
   * itself is not written per item, so this is what shows a running batch moving.
   */
  itemsChangedAt?: string;
}

/** When anything about a batch last changed: its row or one of its items. */
export function lastChangeOf(summary: Pick<BatchSummary, "batch" | "itemsChangedAt">): string {
  const { updatedAt } = summary.batch;
  return summary.itemsChangedAt && Date.parse(summary.itemsChangedAt) > Date.parse(updatedAt) ? summary.itemsChangedAt : updatedAt;
}

export const FINAL_BATCH_STATUSES: ReadonlySet<BatchStatus> = new Set(["succeeded", "failed", "canceled", "expired"]);
export const FINAL_ITEM_STATUSES: ReadonlySet<ItemStatus> = new Set(["succeeded", "failed", "skipped", "canceled"]);
