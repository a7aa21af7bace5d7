import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import type { BatchRef, DocumentRange } from "../batch/batchRef.js";
import type { PreparedBatch } from "../batch/prepareBatch.js";
import { splitRange } from "./documentRanges.js";
import { rangeInstanceId } from "./instanceIds.js";
import { Activities, Orchestrators } from "./names.js";

/*
 * Workflow code only: deterministic, no I/O, no clock, no randomness. Everything that touches
 * storage or an analyzer happens in activities (src/batch), addressed by batch id and document
 * index so orchestration inputs and histories stay small whatever the batch size.
 */

function storageRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(2_000, 6);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 60_000;
  return retry;
}

/** A batch: list its documents, analyze them as one range of sub-orchestrations, then settle the batch's final status. */
export const analyzeBatchOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const ref = context.df.getInput<BatchRef>();
  const prepared: PreparedBatch = yield context.df.callActivityWithRetry(Activities.prepareBatch, storageRetry(), ref);
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

export interface RangeInput extends DocumentRange {
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
