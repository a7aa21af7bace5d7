import type { BatchKind } from "./batchKind.js";
import type { EngineDeps } from "./engineDeps.js";
import type { BatchRecord, BatchRepairs, EngineError, ItemRecord } from "./model.js";
import { ItemError } from "./itemError.js";
import { failBatch, itemsPerActivity, listItemsIntoStore } from "./prepareBatch.js";
import type { BatchRef } from "./refs.js";
import { isFinalBatchStatus, settledCount } from "./statusRules.js";
import type { ItemFinish, StatusStore } from "./statusStore.js";
import { MAX_CHILDREN, type DocumentSpan } from "../orchestration/documentRanges.js";
import { scrubSecrets } from "../storage/sourceError.js";

/** Check rounds that may run items again; in the round after the last, what is still unsettled is failed. */
export const MAX_REPAIR_ROUNDS = 3;

export interface VerifyBatchInput extends BatchRef {
  /** 0 for the check after the range tree; n for the check after the n-th run of repairs. */
  round: number;
  /** The items prepare listed, as the orchestration's history has it: the batch row may have lost it. */
  itemCount?: number;
}

/** What the orchestration runs again before the batch may finish: nothing when `runs` is empty. */
export interface RepairPlan {
  runs: DocumentSpan[];
  perLeaf: number;
  perActivity: number;
  maxConcurrency?: number;
}

/**
 * The invariant the engine keeps: a batch reaches a final status only when every item is
 * settled, its counts add up to the item count, and every `succeeded` item whose result the kind
 * can check has it. Runs after the range tree (and after each run of repairs), before finalize:
 *
 * 1. The counters against the item count: a fixed number of reads, whatever the batch size.
 *    Only when they disagree are the unsettled rows listed (one filtered query).
 * 2. The kind's result check (BatchKind.findMissingResults), over the succeeded rows: a listing
 *    per batch, not a request per item. Those rows are counted on the way: fewer or more than
 *    the counters say also means a lost write (the unsettled rows are listed then too).
 * 3. Counters that disagree with the rows (they lost a write the rows kept, or kept one the rows
 *    lost) are rebuilt from the rows. An item whose outcome and counter were lost together (the
 *    usual case: the store changes both in one transaction) is simply unsettled: run again, it
 *    is counted once. Items the kind named are reopened (row and counter in one change) and run
 *    again; their earlier result, if it reappears, is this batch's own.
 *
 * A healthy batch pays for one check: the counter reads, the succeeded rows a page at a time and
 * the kind's listing; a further round only follows a repair.
 *
 * What needs running again goes back to the orchestration as runs of indexes, at most
 * MAX_CHILDREN of them, each run through the range tree again (settled items in a run are
 * passed over by processItems). After MAX_REPAIR_ROUNDS rounds, what still cannot settle is
 * failed with an error saying so, never left `notStarted`. Each repair is logged and counted on
 * the batch row (BatchRecord.repairs).
 *
 * Protects against what no activity can see: a store that lost acknowledged writes (a local
 * Azurite rolled back after a kill), an orchestration range terminated by an operator, a result
 * deleted under a running batch.
 */
export async function verifyBatch(input: VerifyBatchInput, deps: EngineDeps, log: (message: string) => void = () => undefined): Promise<RepairPlan> {
  const { store } = deps;
  const kind = deps.kinds.require(input.kind);
  let batch: BatchRecord | undefined = await store.getBatch(input.kind, input.batchId);
  if (batch && batch.itemCount === undefined && input.itemCount !== undefined && !batch.deleted && !isFinalBatchStatus(batch.status)) {
    // Prepare ran (the history says so) but storage lost what it wrote: list the items again.
    batch = await relist(kind, batch, deps, log);
  }
  const itemCount = batch?.itemCount ?? 0;
  const plan = (runs: DocumentSpan[]): RepairPlan => ({
    runs,
    perLeaf: batch?.itemsPerLeaf ?? deps.limits.itemsPerLeaf,
    perActivity: batch ? itemsPerActivity(kind, batch, itemCount) : 1,
    ...(batch?.maxConcurrency !== undefined ? { maxConcurrency: batch.maxConcurrency } : {}),
  });
  if (!batch || batch.deleted || isFinalBatchStatus(batch.status) || itemCount === 0) return plan([]);
  const name = `Batch ${batch.kind}/${batch.batchId}`;

  const { counts } = await store.readCounts(batch.batchId);
  let unsettled: number[] | undefined;
  if (settledCount(counts) !== itemCount) unsettled = await unsettledIndexes(store, batch.batchId);

  const succeeded = { rows: 0 };
  let missing: number[] = [];
  let checked = false;
  try {
    missing = await missingResults(kind, batch, counting(store.listItems(batch.batchId, { statuses: ["succeeded"] }), succeeded), deps.shutdown);
    checked = kind.findMissingResults !== undefined;
  } catch (error) {
    if (deps.shutdown.aborted) throw error;
    // A safety net, not a step the batch depends on: a result store that cannot be reached (a
    // caller's container) must not fail a batch whose items all settled.
    log(`${name}: its results could not be checked (${scrubSecrets(error instanceof Error ? error.message : String(error)).slice(0, 300)}); left as recorded`);
  }
  // The kind's check read every succeeded row: counters that disagree with them lost a write
  // too, even when the totals happen to add up (an outcome lost with its counter kept).
  const succeededDisagree = checked && succeeded.rows !== counts.succeeded;
  if (succeededDisagree) unsettled ??= await unsettledIndexes(store, batch.batchId);
  unsettled ??= [];
  let countersRebuilt = 0;
  if (succeededDisagree || settledCount(counts) + unsettled.length !== itemCount) {
    // Before any reopening: that takes counts off counters that must be right first.
    const rebuilt = settledCount((await store.recountItems(batch.batchId)).counts);
    countersRebuilt = 1;
    log(`${name}: the counters held ${settledCount(counts)} settled items (${counts.succeeded} succeeded), the item rows ${rebuilt} (of ${itemCount}): counters rebuilt from the rows`);
    if (rebuilt + unsettled.length < itemCount) {
      // Item rows themselves were lost: listed again, they come back unsettled.
      const relisted = await relist(kind, batch, deps, log);
      if (!relisted || isFinalBatchStatus(relisted.status)) return plan([]);
      unsettled = await unsettledIndexes(store, batch.batchId);
    }
  }
  if (missing.length > 0) await store.reopenItems(batch.batchId, missing);

  const again = [...new Set([...unsettled, ...missing])].sort((a, b) => a - b);
  if (again.length === 0) {
    if (countersRebuilt) await recordRepairs(store, batch, input.round, { items: 0, counters: countersRebuilt, runs: [] });
    return plan([]);
  }
  const what = `${unsettled.length} items unsettled, ${missing.length} succeeded without their result`;
  if (input.round >= MAX_REPAIR_ROUNDS) {
    await failItems(store, batch.batchId, unsettled, missing);
    await recordRepairs(store, batch, input.round, { items: again.length, counters: countersRebuilt, runs: [] });
    log(`${name}: ${what}, after ${MAX_REPAIR_ROUNDS} rounds of running them again: failed`);
    return plan([]);
  }
  const runs = repairRuns(again, MAX_CHILDREN);
  const recorded = await recordRepairs(store, batch, input.round, { items: again.length, counters: countersRebuilt, runs: runs.map((run) => ({ round: input.round, ...run })) });
  log(`${name}: ${what}: run again (round ${input.round + 1} of ${MAX_REPAIR_ROUNDS})`);
  // A check delivered again for a round already recorded runs what the first delivery recorded:
  // the purge derives the instance ids of those runs from the batch row.
  const thisRound = recorded?.runs.filter((run) => run.round === input.round) ?? [];
  return plan(thisRound.length > 0 ? thisRound.map(({ first, count }) => ({ first, count })) : runs);
}

/** Lists the batch's items into the store again (missing rows only); a kind that can no longer list them fails the batch, as prepare would have. */
async function relist(kind: BatchKind, batch: BatchRecord, deps: EngineDeps, log: (message: string) => void): Promise<BatchRecord | undefined> {
  try {
    const itemCount = await listItemsIntoStore(kind, batch, deps);
    log(`Batch ${batch.kind}/${batch.batchId}: item rows were missing (storage lost them): the ${itemCount} items were listed again`);
    return await deps.store.updateBatch(batch.kind, batch.batchId, (current) => ({
      itemCount,
      itemsPerLeaf: current.itemsPerLeaf ?? deps.limits.itemsPerLeaf,
      status: "processing",
    }));
  } catch (error) {
    if (!(error instanceof ItemError)) throw error;
    await failBatch(batch, error.toEngineError(), deps);
    return deps.store.getBatch(batch.kind, batch.batchId);
  }
}

async function unsettledIndexes(store: StatusStore, batchId: string): Promise<number[]> {
  const indexes: number[] = [];
  for await (const page of store.listItems(batchId, { statuses: ["notStarted", "running"] })) for (const item of page) indexes.push(item.index);
  return indexes;
}

async function missingResults(kind: BatchKind, batch: BatchRecord, succeeded: AsyncIterable<ItemRecord[]>, signal: AbortSignal): Promise<number[]> {
  if (!kind.findMissingResults) return [];
  return kind.findMissingResults(batch, succeeded, { signal });
}

/** The pages as they are, counting their rows into `seen`. */
async function* counting(pages: AsyncIterable<ItemRecord[]>, seen: { rows: number }): AsyncIterable<ItemRecord[]> {
  for await (const page of pages) {
    seen.rows += page.length;
    yield page;
  }
}

const NOT_SETTLED: EngineError = {
  code: "InternalError",
  message: `The item's outcome was lost (storage did not keep it) and could not be recorded after running it again ${MAX_REPAIR_ROUNDS} times. Submit it again.`,
};
const RESULT_LOST: EngineError = {
  code: "InternalError",
  message: `The item's result was lost (storage did not keep it) and was still missing after running it again ${MAX_REPAIR_ROUNDS} times. Submit it again.`,
};

async function failItems(store: StatusStore, batchId: string, unsettled: number[], missing: number[]): Promise<void> {
  const lost = new Set(missing);
  const finishes: ItemFinish[] = [...new Set([...unsettled, ...missing])].map((index) => ({ index, outcome: "failed", error: lost.has(index) ? RESULT_LOST : NOT_SETTLED }));
  for (let start = 0; start < finishes.length; start += 1000) await store.finishItems(batchId, finishes.slice(start, start + 1000));
}

/** Adds a round's repairs to the batch row once: a check delivered again for a recorded round adds nothing. */
async function recordRepairs(store: StatusStore, batch: BatchRecord, round: number, found: Omit<BatchRepairs, "lastRound">): Promise<BatchRepairs | undefined> {
  const updated = await store.updateBatch(batch.kind, batch.batchId, (current) => {
    const repairs = current.repairs;
    if (repairs && repairs.lastRound >= round) return undefined;
    return {
      repairs: {
        items: (repairs?.items ?? 0) + found.items,
        counters: (repairs?.counters ?? 0) + found.counters,
        lastRound: round,
        runs: [...(repairs?.runs ?? []), ...found.runs],
      },
    };
  });
  return updated?.repairs;
}

/**
 * Sorted indexes as runs of consecutive ones, at most `maxRuns` of them: past that, the runs
 * with the smallest gaps between them are joined (the settled items a joined run takes in cost
 * processItems a read each, no work), so the orchestration fans out to a bounded number of ranges.
 */
export function repairRuns(indexes: readonly number[], maxRuns: number): DocumentSpan[] {
  const runs: DocumentSpan[] = [];
  for (const index of indexes) {
    const last = runs.at(-1);
    if (last && last.first + last.count === index) last.count++;
    else if (!last || index >= last.first + last.count) runs.push({ first: index, count: 1 });
  }
  if (runs.length <= maxRuns) return runs;
  const gaps = runs.slice(1).map((run, at) => ({ before: at + 1, size: run.first - (runs[at].first + runs[at].count) }));
  gaps.sort((a, b) => a.size - b.size || a.before - b.before);
  const joined = new Set(gaps.slice(0, runs.length - maxRuns).map((gap) => gap.before));
  const merged: DocumentSpan[] = [];
  runs.forEach((run, at) => {
    const last = merged.at(-1);
    if (last && joined.has(at)) last.count = run.first + run.count - last.first;
    else merged.push({ ...run });
  });
  return merged;
}
