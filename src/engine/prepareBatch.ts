import type { BatchKind } from "./batchKind.js";
import type { EngineDeps } from "./engineDeps.js";
import { ItemError } from "./itemError.js";
import type { BatchRecord, EngineError } from "./model.js";
import type { BatchRef, PreparedBatch } from "./refs.js";

/**
 * The prepare phase: lists a batch's items into the status store (the stored work list the
 * orchestration fans out over by index) and moves the batch to `processing`. Listing goes page
 * by page; a re-delivered prepare rewrites nothing that exists. An ItemError from the kind fails
 * the batch with it; other errors fail the activity, which is retried.
 */
export async function prepareBatch(ref: BatchRef, deps: EngineDeps): Promise<PreparedBatch> {
  const { store } = deps;
  const kind = deps.kinds.require(ref.kind);
  const finalize = typeof kind.finalize === "function";
  const batch = await store.updateBatch(ref.kind, ref.batchId, () => ({ status: "preparing" }));
  if (!batch || batch.deleted) return { outcome: "gone" };
  if (batch.status === "failed") return { outcome: "failed" };
  if (batch.cancelRequested || batch.status === "canceled") return { outcome: "canceled", finalize };
  const plan = (itemCount: number, itemsPerLeaf: number): PreparedBatch => ({
    outcome: "ready",
    itemCount,
    itemsPerLeaf,
    itemsPerActivity: itemsPerActivity(kind, batch, itemCount),
    ...(batch.maxConcurrency !== undefined ? { maxConcurrency: batch.maxConcurrency } : {}),
    finalize,
  });
  if (batch.itemCount !== undefined && batch.itemsPerLeaf !== undefined) return plan(batch.itemCount, batch.itemsPerLeaf);

  let itemCount: number;
  try {
    itemCount = await listItemsIntoStore(kind, batch, deps);
  } catch (error) {
    if (!(error instanceof ItemError)) throw error;
    await failBatch(batch, error.toEngineError(), deps);
    return { outcome: "failed" };
  }
  // Kept with the batch: the purge derives the instance ids of its range orchestrations from it.
  const itemsPerLeaf = deps.limits.itemsPerLeaf;
  await store.updateBatch(ref.kind, ref.batchId, (current) => ({
    itemCount,
    itemsPerLeaf,
    status: "processing",
    milestones: { ...current.milestones, processingAt: current.milestones?.processingAt ?? deps.now().toISOString() },
  }));
  return plan(itemCount, itemsPerLeaf);
}

/**
 * Lists the kind's items into the store page by page; returns how many there are. Rows that
 * exist are left as they are, so listing again (a re-delivered prepare, or the check before
 * completion finding rows storage lost) only adds the missing ones. Throws the kind's ItemError.
 */
export async function listItemsIntoStore(kind: BatchKind, batch: BatchRecord, deps: Pick<EngineDeps, "store" | "shutdown">): Promise<number> {
  let itemCount = 0;
  for await (const page of kind.listItems(batch, { signal: deps.shutdown })) {
    if (page.length === 0) continue;
    await deps.store.addItems(batch.batchId, itemCount, page);
    itemCount += page.length;
  }
  if (itemCount === 0) await deps.store.addItems(batch.batchId, 0, []);
  return itemCount;
}

/** Items one activity takes: the kind's wish, never more than the batch may have in flight. */
export function itemsPerActivity(kind: BatchKind, batch: Pick<BatchRecord, "maxConcurrency">, itemCount: number): number {
  const wanted = typeof kind.itemsPerActivity === "function" ? kind.itemsPerActivity(itemCount) : kind.itemsPerActivity;
  const maxConcurrency = batch.maxConcurrency;
  const size = Math.max(1, Math.floor(wanted ?? 1));
  return maxConcurrency === undefined ? size : Math.max(1, Math.min(size, maxConcurrency));
}

export async function failBatch(batch: BatchRecord, error: EngineError, deps: EngineDeps): Promise<void> {
  await deps.store.updateBatch(batch.kind, batch.batchId, () => ({ status: "failed", error, completedAt: deps.now().toISOString() }));
}
