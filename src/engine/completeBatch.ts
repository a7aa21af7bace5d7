import type { FinalizeResult } from "./batchKind.js";
import type { EngineDeps } from "./engineDeps.js";
import { ItemError } from "./itemError.js";
import type { BatchRef, CompleteBatchInput, FailUnfinishedInput } from "./refs.js";
import { isFinalBatchStatus, isFinalItemStatus } from "./statusRules.js";
import { scrubSecrets } from "../storage/sourceError.js";

/**
 * The finalize phase: moves the batch to `finalizing` and runs the kind's finalize step (it
 * assembles output files). Retried by the orchestration on any error but a non-retryable
 * ItemError, which fails the batch with it.
 */
export async function finalizeBatch(ref: BatchRef, deps: EngineDeps): Promise<FinalizeResult> {
  const kind = deps.kinds.require(ref.kind);
  const batch = await deps.store.updateBatch(ref.kind, ref.batchId, (current) =>
    current.milestones?.finalizingAt ? undefined : { status: "finalizing", milestones: { ...current.milestones, finalizingAt: deps.now().toISOString() } },
  );
  if (!batch || !kind.finalize) return {};
  try {
    return (await kind.finalize(batch, { signal: deps.shutdown })) ?? {};
  } catch (error) {
    if (error instanceof ItemError && !error.retryable) return { status: "failed", error: error.toEngineError() };
    throw error;
  }
}

/** Gives a batch its final status: the kind's finalize result, else `canceled` when cancel was requested, else `succeeded` (also when items failed). */
export async function completeBatch(input: CompleteBatchInput, deps: EngineDeps): Promise<void> {
  await deps.store.updateBatch(input.kind, input.batchId, (batch) => {
    if (isFinalBatchStatus(batch.status)) return undefined;
    const finalized = input.finalized;
    const status = batch.cancelRequested && finalized?.status !== "failed" ? "canceled" : (finalized?.status ?? "succeeded");
    return { status, completedAt: deps.now().toISOString(), ...(finalized?.error ? { error: finalized.error } : {}) };
  });
}

/**
 * After a leaf gave up on some items (status could not be recorded even after retries), or a
 * batch was stranded for good (strandedBatches.ts), records them as failed so the batch can finish.
 */
export async function failUnfinishedItems(input: FailUnfinishedInput, deps: Pick<EngineDeps, "store">): Promise<number> {
  let failed = 0;
  for await (const item of deps.store.listItemRange(input.batchId, input.first, input.count)) {
    if (isFinalItemStatus(item.status)) continue;
    await deps.store.finishItem(input.batchId, item.index, "failed", {
      error: { code: "InternalError", message: `The item could not be processed: ${scrubSecrets(input.reason)}` },
    });
    failed++;
  }
  return failed;
}
