import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import type { BatchRef, DocumentRange } from "../batch/batchRef.js";
import type { PreparedBatch } from "../batch/prepareBatch.js";
import { planBatchParts } from "./batchParts.js";
import { subOrchestrationInstanceId } from "./instanceIds.js";
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

/** A batch: list its documents, fan out over parts, then settle the batch's final status. */
export const analyzeBatchOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const ref = context.df.getInput<BatchRef>();
  const prepared: PreparedBatch = yield context.df.callActivityWithRetry(Activities.prepareBatch, storageRetry(), ref);
  if (prepared.outcome === "gone") return prepared.outcome;
  // Task.all of nothing never completes in durable-functions, so an empty batch skips the fan-out.
  if (prepared.outcome === "ready" && prepared.documentCount > 0) {
    const parts = planBatchParts(prepared.documentCount, prepared.documentsPerSubOrchestration);
    context.df.setCustomStatus({ documentCount: prepared.documentCount, parts: parts.length });
    yield context.df.Task.all(
      parts.map((part, index) =>
        context.df.callSubOrchestrator(
          Orchestrators.analyzeBatchPart,
          { ...ref, ...part } satisfies DocumentRange,
          subOrchestrationInstanceId(ref.batchId, index),
        ),
      ),
    );
  }
  yield context.df.callActivityWithRetry(Activities.finishBatch, storageRetry(), ref);
  return prepared.outcome;
};

/** One part of a batch: one activity per document. */
export const analyzeBatchPartOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const range = context.df.getInput<DocumentRange>();
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
      ...range,
      reason: error instanceof Error ? error.message : String(error),
    });
  }
  return range.count;
};
