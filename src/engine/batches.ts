import type { BatchRef } from "./refs.js";
import { newBatchId } from "./batchIds.js";
import type { BatchRecord, BatchSummary } from "./model.js";
import type { RecentBatches } from "./recentBatches.js";
import { isFinalBatchStatus, neverStarted } from "./statusRules.js";
import { BatchExistsError, type ListBatchesOptions, type StatusStore } from "./statusStore.js";
import { isTransient } from "../shared/transientErrors.js";

/** The port through which the engine starts a batch's orchestration (src/functions implements it with the durable client). */
export interface BatchRunner {
  /** Starts `runBatch` for the batch (instance id = batch id). */
  start(ref: BatchRef): Promise<void>;
}

export interface CreateBatchOptions {
  kind: string;
  /** The kind's own description of the batch (BatchRecord.spec), secrets sealed. */
  spec: string;
  labels?: Record<string, string>;
  maxConcurrency?: number;
  /** Default true. false: the batch waits for `start` (the upload API adds items first). */
  start?: boolean;
  /** Default: newBatchId(now). Front doors with their own id format pass one made by src/engine/batchIds.ts. */
  batchId?: string;
}

export type DeleteOutcome = "canceled" | "deleted" | "notFound";

/**
 * A create that storage did not confirm: the insert failed or went unanswered, or found the id
 * taken by another create. Nothing was accepted, so the caller may simply try again. Its status
 * code is 503: the front doors' shared error handling (src/api/http/serve.ts) answers it as
 * storage not answering, with Retry-After, in each door's own error format.
 */
export class BatchNotCreatedError extends Error {
  override readonly name = "BatchNotCreatedError";
  readonly statusCode = 503;
  constructor(batchId: string, options: { cause: unknown }) {
    super(`Batch ${batchId} could not be created: storage did not confirm its row`, options);
  }
}

/**
 * The use cases every front door calls: create, start, cancel, delete, summary, list. They
 * know nothing of any wire format; a front door maps statuses and errors to its own.
 */
export class Batches {
  constructor(
    private readonly deps: {
      store: StatusStore;
      runner: BatchRunner;
      now(): Date;
      /** This instance's cache of batch rows for item activities: a cancel or delete clears its entry, so they see it at once. */
      recentBatches?: Pick<RecentBatches, "forget">;
    },
  ) {}

  async create(options: CreateBatchOptions): Promise<BatchRecord> {
    const now = this.deps.now().toISOString();
    const start = options.start ?? true;
    const batch: BatchRecord = {
      kind: options.kind,
      batchId: options.batchId ?? newBatchId(this.deps.now()),
      status: "notStarted",
      createdAt: now,
      updatedAt: now,
      ...(start ? { startedAt: now } : {}),
      ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
      cancelRequested: false,
      deleted: false,
      spec: options.spec,
      ...(options.labels ? { labels: options.labels } : {}),
    };
    await this.insert(batch);
    if (start) {
      try {
        await this.deps.runner.start({ kind: batch.kind, batchId: batch.batchId });
      } catch (error) {
        // Not started, so nobody would ever finish it: it must not stay behind.
        await this.deps.store.deleteBatch(batch.kind, batch.batchId).catch(() => undefined);
        throw error;
      }
    }
    return batch;
  }

  /**
   * Inserts the batch row, confirmed or not at all. The store confirms an insert retried after
   * its first attempt landed. One that failed unconfirmed may still have landed (storage slow
   * rather than down): its row is removed again, so no row nobody will run stays behind, and the
   * caller is told to retry. Should storage refuse that removal too, the row is left to the
   * stranded-batch sweep (started) or the purge after the retention period (never started).
   */
  private async insert(batch: BatchRecord): Promise<void> {
    try {
      await this.deps.store.createBatch(batch);
    } catch (error) {
      if (error instanceof BatchExistsError) throw new BatchNotCreatedError(batch.batchId, { cause: error });
      if (!isTransient(error)) throw error;
      await this.deps.store.deleteBatch(batch.kind, batch.batchId).catch(() => undefined);
      throw new BatchNotCreatedError(batch.batchId, { cause: error });
    }
  }

  /** Starts a batch created with `start: false`. Idempotent: a started batch is returned as it is. */
  async start(kind: string, batchId: string): Promise<BatchRecord | undefined> {
    let starting = false;
    const batch = await this.deps.store.updateBatch(kind, batchId, (current) => {
      if (current.startedAt || current.deleted || isFinalBatchStatus(current.status)) return undefined;
      starting = true;
      return { startedAt: this.deps.now().toISOString() };
    });
    if (!batch || batch.deleted) return undefined;
    if (starting) {
      try {
        await this.deps.runner.start({ kind, batchId });
      } catch (error) {
        await this.deps.store.updateBatch(kind, batchId, () => ({ startedAt: undefined }));
        throw error;
      }
    }
    return batch;
  }

  /**
   * Asks a running batch to stop: items not started become `canceled`, those in flight finish,
   * then the kind's finalize runs and the batch ends `canceled`. A batch never started is
   * canceled at once. Returns the batch as stored, undefined when it does not exist.
   */
  async requestCancel(kind: string, batchId: string): Promise<BatchRecord | undefined> {
    const batch = await this.deps.store.updateBatch(kind, batchId, (current) => {
      if (current.deleted || isFinalBatchStatus(current.status) || current.cancelRequested) return undefined;
      const now = this.deps.now().toISOString();
      const milestones = { ...current.milestones, cancelRequestedAt: now };
      if (neverStarted(current)) return { cancelRequested: true, milestones, status: "canceled", completedAt: now };
      return { cancelRequested: true, milestones };
    });
    this.deps.recentBatches?.forget(kind, batchId);
    return batch?.deleted ? undefined : batch;
  }

  /** A running batch is canceled; a final one disappears at once, its rows removed by the next purge. */
  async delete(kind: string, batchId: string): Promise<DeleteOutcome> {
    let outcome: DeleteOutcome = "notFound";
    await this.deps.store.updateBatch(kind, batchId, (batch) => {
      if (batch.deleted) return undefined;
      const now = this.deps.now().toISOString();
      if (isFinalBatchStatus(batch.status)) {
        outcome = "deleted";
        return { deleted: true, completedAt: batch.completedAt ?? now };
      }
      outcome = "canceled";
      const milestones = { ...batch.milestones, cancelRequestedAt: batch.milestones?.cancelRequestedAt ?? now };
      if (neverStarted(batch)) return { cancelRequested: true, milestones, status: "canceled", completedAt: now };
      return { cancelRequested: true, milestones };
    });
    this.deps.recentBatches?.forget(kind, batchId);
    return outcome;
  }

  /** The batch with its counts and metric sums (a fixed number of reads), undefined when missing or deleted. */
  async summary(kind: string, batchId: string): Promise<BatchSummary | undefined> {
    const summary = await this.deps.store.getSummary(kind, batchId);
    return summary && !summary.batch.deleted ? summary : undefined;
  }

  /** A kind's batches, newest first, a page at a time. */
  list(kind: string, options: ListBatchesOptions) {
    return this.deps.store.listBatches(kind, options);
  }
}
