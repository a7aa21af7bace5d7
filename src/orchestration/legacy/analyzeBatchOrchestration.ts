import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { splitRange } from "../documentRanges.js";
import { rangeInstanceId } from "../instanceIds.js";
import { LegacyActivities as Activities, LegacyOrchestrators as Orchestrators } from "../names.js";
import { RetryProfiles } from "../retryProfiles.js";

/*
 * The Document Intelligence-only orchestration from before the engine, unchanged, kept
 * registered under its old names so batches started before an upgrade replay and finish. New
 * batches run src/orchestration/runBatch.ts. Remove once no such batch can be running (README:
 * Upgrading). Its activities are adapters onto the engine (src/kinds/documentIntelligence/legacy.ts).
 *
 * Workflow code only: deterministic, no I/O, no clock, no randomness. Everything that touches
 * storage or an analyzer happens in activities (src/batch), addressed by batch id and document
 * index so orchestration inputs and histories stay small whatever the batch size.
 */

const storageRetry = RetryProfiles.storage;

/** How the old orchestration addressed a batch (its inputs are in the histories of running batches). */
export interface LegacyBatchRef {
  batchId: string;
  modelId: string;
}

export interface LegacyDocumentRange extends LegacyBatchRef {
  first: number;
  count: number;
}

export type LegacyPreparedBatch =
  | { outcome: "ready"; documentCount: number; documentsPerLeaf: number }
  | { outcome: "failed" | "canceled" | "gone" };

/** A batch: list its documents, analyze them as one range of sub-orchestrations, then settle the batch's final status. */
export const analyzeBatchOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const ref = context.df.getInput<LegacyBatchRef>();
  const prepared: LegacyPreparedBatch = yield context.df.callActivityWithRetry(Activities.prepareBatch, storageRetry(), ref);
  if (prepared.outcome === "gone") return prepared.outcome;
  // Task.all of nothing never completes in durable-functions, so an empty batch skips the fan-out.
  if (prepared.outcome === "ready" && prepared.documentCount > 0) {
    const root: RangeInput = { ...ref, first: 0, count: prepared.documentCount, perLeaf: prepared.documentsPerLeaf };
    context.df.setCustomStatus({ documentCount: prepared.documentCount });
    yield context.df.callSubOrchestrator(Orchestrators.analyzeBatchPart, root, rangeInstanceId(ref.batchId, root));
  }
  yield context.df.callActivityWithRetry(Activities.finishBatch, storageRetry(), ref);
  return prepared.outcome;
};

export interface RangeInput extends LegacyDocumentRange {
  perLeaf: number;
}

/**
 * A range of a batch's documents: fans out to at most MAX_CHILDREN sub-ranges, or, for a leaf,
 * to one activity per document. The tree keeps every history short whatever the batch size.
 */
export const analyzeBatchPartOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const range = context.df.getInput<RangeInput>();
  const children = splitRange(range, range.perLeaf);
  if (children) {
    yield context.df.Task.all(
      children.map((child) =>
        context.df.callSubOrchestrator(Orchestrators.analyzeBatchPart, { ...range, ...child }, rangeInstanceId(range.batchId, child)),
      ),
    );
    return range.count;
  }
  const documents = Array.from({ length: range.count }, (_, offset) =>
    context.df.callActivityWithRetry(Activities.analyzeDocument, storageRetry(), {
      batchId: range.batchId,
      modelId: range.modelId,
      index: range.first + offset,
    }),
  );
  try {
    yield context.df.Task.all(documents);
  } catch (error) {
    // Activities record their own document failures; reaching here means status could not be
    // written even after retries. Settle the rest so the batch still finishes.
    yield context.df.callActivityWithRetry(Activities.failUnfinishedDocuments, storageRetry(), {
      batchId: range.batchId,
      modelId: range.modelId,
      first: range.first,
      count: range.count,
      reason: error instanceof Error ? error.message : String(error),
    });
  }
  return range.count;
};
