import type { BatchKind, ItemResult } from "./batchKind.js";
import type { EngineDeps } from "./engineDeps.js";
import { hostShutdown, HostShutdownError } from "./hostShutdown.js";
import { ItemError } from "./itemError.js";
import type { BatchRecord, EngineError, ItemStatus } from "./model.js";
import type { ItemGroup } from "./refs.js";
import { isFinalItemStatus } from "./statusRules.js";
import type { ItemFinish, StoredItem } from "./statusStore.js";
import { scrubSecrets } from "../storage/sourceError.js";

/**
 * The item activity: processes items [index, index+count) of a batch side by side, then records
 * their outcomes together (one write for the group where the store can). Idempotent: a settled
 * item is left as it is and the store counts an outcome once, so redelivery gives the same
 * statuses and counts. Item failures are recorded on the item; only failures to record status
 * throw (the orchestration retries the activity), and a host shutdown, which records what did
 * finish and gives the rest back for another instance instead of failing them.
 */
export async function processItems(group: ItemGroup, deps: EngineDeps): Promise<ItemStatus[]> {
  const kind = deps.kinds.require(group.kind);
  const batch = await deps.recentBatches.get(group.kind, group.batchId);
  const indexes = Array.from({ length: group.count }, (_, offset) => group.index + offset);
  if (!batch || batch.deleted) return indexes.map(() => "canceled"); // deleted or purged while queued
  return hostShutdown.track(processGroup(kind, batch, indexes, deps));
}

/** What processing one item came to: it had settled already, or its outcome is to be recorded. */
type Settlement = { status: ItemStatus } | { finish: ItemFinish };

async function processGroup(kind: BatchKind, batch: BatchRecord, indexes: number[], deps: EngineDeps): Promise<ItemStatus[]> {
  const recorded = kind.recordedResults ? await kind.recordedResults(batch, indexes) : undefined;
  const settlements = await Promise.allSettled(indexes.map((index) => processItem(kind, batch, index, deps, recorded?.get(index))));
  const finishes = settlements.flatMap((settlement) => (settlement.status === "fulfilled" && "finish" in settlement.value ? [settlement.value.finish] : []));
  const finished = finishes.length > 0 ? await deps.store.finishItems(batch.batchId, finishes) : [];
  const failure = settlements.find((settlement) => settlement.status === "rejected");
  if (failure) throw failure.reason;
  const statusByIndex = new Map(finished.map((record) => [record.index, record.status]));
  return settlements.map((settlement, offset) => {
    const value = (settlement as PromiseFulfilledResult<Settlement>).value;
    return "status" in value ? value.status : statusByIndex.get(indexes[offset])!;
  });
}

async function processItem(kind: BatchKind, batch: BatchRecord, index: number, deps: EngineDeps, earlier: ItemResult | undefined): Promise<Settlement> {
  const { store } = deps;
  if (deps.shutdown.aborted) throw new HostShutdownError();
  let item = await deps.recentItems.get(batch.batchId, index);
  if (!item) throw new Error(`Batch ${batch.batchId} has no item ${index}`);
  if (isFinalItemStatus(item.status)) return { status: item.status };
  // Done before but never settled: its result stands (also under a cancel, as work in flight does).
  if (earlier) return { finish: { index, outcome: earlier.status, ...(earlier.error ? { error: earlier.error } : {}), ...(earlier.metrics ? { metrics: earlier.metrics } : {}), known: item } };
  if (batch.cancelRequested) return { finish: { index, outcome: "canceled", known: item } };
  if (kind.recordsRunning) item = (await store.markItemRunning(batch.batchId, index, item)) ?? item;
  if (isFinalItemStatus(item.status)) return { status: item.status };

  let outcome: { status: "succeeded" | "skipped" | "failed"; error?: EngineError; metrics?: ItemResult["metrics"] };
  try {
    outcome = await withRetries(kind, batch, item, deps);
  } catch (error) {
    if (error instanceof HostShutdownError || deps.shutdown.aborted) throw new HostShutdownError();
    outcome = { status: "failed", error: failureOf(error) };
  }
  return {
    finish: {
      index,
      outcome: outcome.status,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.metrics ? { metrics: outcome.metrics } : {}),
      known: item,
    },
  };
}

/** Unknown errors (bugs, surprises) are tried this many times in all before the item fails. */
const UNKNOWN_ERROR_ATTEMPTS = 3;
const FIRST_RETRY_DELAY_MS = 500;

async function withRetries(kind: BatchKind, batch: BatchRecord, item: StoredItem, deps: EngineDeps): Promise<ItemResult> {
  const { itemAttempts, maxRetryDelayMs } = deps.limits;
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTimeLimit(kind.itemTimeoutMs ?? deps.limits.itemTimeoutMs, deps.shutdown, (signal) => kind.processItem(batch, item, { signal }));
    } catch (error) {
      if (deps.shutdown.aborted) throw new HostShutdownError();
      const retryable = error instanceof ItemError ? error.retryable : true;
      const attempts = error instanceof ItemError ? itemAttempts : Math.min(itemAttempts, UNKNOWN_ERROR_ATTEMPTS);
      if (!retryable || attempt >= attempts) throw error;
      const backoff = FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1);
      const asked = error instanceof ItemError ? (error.retryAfterMs ?? 0) : 0;
      await sleep(Math.min(maxRetryDelayMs, Math.max(backoff, asked)), deps.shutdown);
    }
  }
}

/** Runs `work` with a signal aborted at the time limit or at shutdown; fails with Timeout even if `work` ignores the signal. */
async function withTimeLimit<T>(ms: number, shutdown: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onShutdown: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ItemError("Timeout", `The item did not finish within ${Math.round(ms / 1000)} s.`);
      controller.abort(error);
      reject(error);
    }, ms);
    onShutdown = () => {
      controller.abort(shutdown.reason);
      reject(new HostShutdownError());
    };
    if (shutdown.aborted) onShutdown();
    else shutdown.addEventListener("abort", onShutdown, { once: true });
  });
  try {
    return await Promise.race([work(controller.signal), limit]);
  } finally {
    clearTimeout(timer);
    shutdown.removeEventListener("abort", onShutdown!);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new HostShutdownError());
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new HostShutdownError());
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** What a failed item records: the ItemError's own code, else InternalError with the first line of the message, secrets scrubbed. */
export function failureOf(error: unknown): EngineError {
  if (error instanceof ItemError) return error.toEngineError();
  const reason = scrubSecrets(((error as Error)?.message ?? String(error)).split(/\r?\n/, 1)[0]).slice(0, 500);
  return { code: "InternalError", message: `The item could not be processed: ${reason}` };
}
