import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import type { EngineActivities } from "../engine/activities.js";
import type { BatchRef, ItemSpan } from "../engine/refs.js";
import { activityProxy, all, typed, type ActivityPlan } from "./activityProxy.js";
import { splitRange } from "./documentRanges.js";
import { rangeInstanceId } from "./instanceIds.js";
import { ActivityNames, Orchestrators } from "./names.js";

/*
 * Workflow code only: deterministic, no I/O, no clock, no randomness. Everything that touches
 * storage or a kind happens in the engine's activities (src/engine/activities.ts), addressed by
 * kind, batch id and item index, so inputs and histories stay small whatever the batch size.
 */

const ENGINE_ACTIVITIES: ActivityPlan<EngineActivities> = {
  prepareBatch: { name: ActivityNames.prepareBatch, retry: "storage" },
  processItems: { name: ActivityNames.processItems, retry: "storage" },
  verifyBatch: { name: ActivityNames.verifyBatch, retry: "storage" },
  finalizeBatch: { name: ActivityNames.finalizeBatch, retry: "finalize" },
  completeBatch: { name: ActivityNames.completeBatch, retry: "storage" },
  failUnfinishedItems: { name: ActivityNames.failUnfinishedItems, retry: "storage" },
  announceBatch: { name: ActivityNames.announceBatch, retry: "webhook" },
  recordAnnouncementGivenUp: { name: ActivityNames.recordAnnouncementGivenUp, retry: "storage" },
};

/** A range of a batch's items and how to run it. */
export interface RangeInput extends ItemSpan {
  perLeaf: number;
  perActivity: number;
  /** At most this many of the batch's items in flight; undefined = no limit. */
  maxConcurrency?: number;
  /** Set for ranges the check before completion runs again: their instance ids carry the round. */
  repairRound?: number;
}

/**
 * A batch: prepare (list items) → process them through the range tree → check that every item
 * settled with its result, running what did not again (src/engine/verifyBatch.ts) → finalize
 * (if the kind has it) → final status.
 */
export const runBatchOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const ref = context.df.getInput<BatchRef>();
  const activities = activityProxy<EngineActivities>(context, ENGINE_ACTIVITIES);
  const prepared = yield* activities.prepareBatch(ref);
  if (prepared.outcome === "gone") return prepared.outcome;
  // Task.all of nothing never completes in durable-functions, so an empty batch skips the fan-out.
  if (prepared.outcome === "ready" && prepared.itemCount > 0) {
    const root: RangeInput = {
      ...ref,
      first: 0,
      count: prepared.itemCount,
      perLeaf: prepared.itemsPerLeaf,
      perActivity: prepared.itemsPerActivity,
      ...(prepared.maxConcurrency !== undefined ? { maxConcurrency: prepared.maxConcurrency } : {}),
    };
    context.df.setCustomStatus({ itemCount: prepared.itemCount });
    try {
      yield context.df.callSubOrchestrator(Orchestrators.runItemRange, root, rangeInstanceId(ref.batchId, root));
    } catch {
      // A range failed or was terminated: the check below finds what it left unsettled and runs it again.
    }
  }
  if (prepared.outcome === "ready" || prepared.outcome === "canceled") {
    for (let round = 0; ; round++) {
      const plan = yield* activities.verifyBatch({ ...ref, round, ...(prepared.outcome === "ready" ? { itemCount: prepared.itemCount } : {}) });
      if (plan.runs.length === 0) break;
      const ranges = plan.runs.map((run): RangeInput => ({
        ...ref,
        ...run,
        perLeaf: plan.perLeaf,
        perActivity: plan.perActivity,
        ...(plan.maxConcurrency !== undefined ? { maxConcurrency: plan.maxConcurrency } : {}),
        repairRound: round,
      }));
      const call = (range: RangeInput) => typed<number>(context.df.callSubOrchestrator(Orchestrators.runItemRange, range, rangeInstanceId(ref.batchId, range, round)));
      try {
        if (plan.maxConcurrency === undefined) yield* all(context, ranges.map(call));
        else for (const range of ranges) yield* call(range);
      } catch {
        // As above: the next round's check sees what is still unsettled.
      }
    }
  }
  const finalized = "finalize" in prepared && prepared.finalize ? yield* activities.finalizeBatch(ref) : undefined;
  yield* activities.completeBatch({ ...ref, ...(finalized ? { finalized } : {}) });
  // The batch is final (callers see it) before its event goes out; a receiver that stays down only delays this orchestration's end.
  try {
    yield* activities.announceBatch(ref);
  } catch (error) {
    yield* activities.recordAnnouncementGivenUp({ ...ref, reason: messageOf(error) });
  }
  return prepared.outcome;
};

/**
 * A range of a batch's items: fans out to at most MAX_CHILDREN sub-ranges, or, for a leaf, to
 * one activity per group of `perActivity` items. With a per-batch limit, sub-ranges run one at
 * a time and a leaf keeps a sliding window of activities, so no more than `maxConcurrency`
 * items are ever in flight; without one, everything in the range is scheduled at once.
 */
export const runItemRangeOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const range = context.df.getInput<RangeInput>();
  const children = splitRange(range, range.perLeaf);
  if (children) {
    const call = (child: { first: number; count: number }) =>
      typed<number>(context.df.callSubOrchestrator(Orchestrators.runItemRange, { ...range, ...child }, rangeInstanceId(range.batchId, child, range.repairRound)));
    if (range.maxConcurrency === undefined) {
      yield* all(context, children.map(call));
    } else {
      for (const child of children) yield* call(child);
    }
    return range.count;
  }

  const activities = activityProxy<EngineActivities>(context, ENGINE_ACTIVITIES);
  const groups: { index: number; count: number }[] = [];
  for (let index = range.first; index < range.first + range.count; index += range.perActivity) {
    groups.push({ index, count: Math.min(range.perActivity, range.first + range.count - index) });
  }
  const process = (group: { index: number; count: number }) =>
    activities.processItems({ kind: range.kind, batchId: range.batchId, index: group.index, count: group.count }).task;

  let failure: string | undefined;
  if (range.maxConcurrency === undefined) {
    try {
      yield context.df.Task.all(groups.map(process));
    } catch (error) {
      failure = messageOf(error);
    }
  } else {
    // Waves of at most `window` activities, each yielded once. A sliding window (Task.any over
    // the tasks still pending) would yield a task again in a new Task.any, which the out-of-proc
    // protocol schedules a second time and whose results it can mix up
    // (Azure/azure-functions-durable-js#574): batches finished with documents still running.
    const window = Math.max(1, Math.floor(range.maxConcurrency / range.perActivity));
    for (let next = 0; next < groups.length && failure === undefined; next += window) {
      try {
        yield context.df.Task.all(groups.slice(next, next + window).map(process));
      } catch (error) {
        failure = messageOf(error);
      }
    }
  }
  if (failure !== undefined) {
    // Activities record their own item failures; reaching here means status could not be
    // written even after retries. Settle the rest so the batch still finishes.
    yield* activities.failUnfinishedItems({ kind: range.kind, batchId: range.batchId, first: range.first, count: range.count, reason: failure });
  }
  return range.count;
};

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
