import type { BatchRunner } from "./batches.js";
import { failUnfinishedItems } from "./completeBatch.js";
import type { BatchRecord, EngineError } from "./model.js";
import { isFinalBatchStatus } from "./statusRules.js";
import type { StatusStore } from "./statusStore.js";
import { batchInstanceId, batchInstanceIds } from "../orchestration/instanceIds.js";
import { scrubSecrets } from "../storage/sourceError.js";

/** What the durable backend knows of an orchestration instance. */
export type InstanceState = { state: "running" } | { state: "ended"; runtimeStatus: string } | { state: "missing" };

export interface StrandedBatchDependencies {
  store: StatusStore;
  runner: BatchRunner;
  instanceState(instanceId: string): Promise<InstanceState>;
  /** Removes an instance's history; resolves when gone or never existed. */
  purgeInstance(instanceId: string): Promise<void>;
  now(): Date;
  /** A batch whose row changed more recently than this is left alone (it may be between its row and its orchestration's start). Default 15. */
  quietMinutes?: number;
  log?(message: string): void;
}

export interface StrandedReport {
  /** Quiet unfinished batches whose orchestration was looked up. */
  checked: number;
  /** Started again: their orchestration was missing or had ended. */
  restarted: number;
  /** Failed: stranded again after a restart. */
  failed: number;
  /** Not checked: the durable backend or the store failed for them (logged; tried again next time). */
  errors: number;
}

const DEFAULT_QUIET_MINUTES = 15;

/**
 * Finds batches nothing will ever finish and gets them finished: a batch accepted and started
 * whose orchestration is missing (the process died between writing the row and starting it, or
 * the durable store lost it) or ended without giving the batch a final status (an activity out
 * of retries in a long storage outage, an instance terminated by an operator). The first time,
 * the orchestration starts again from its old histories' clean slate: prepare resumes from the
 * stored item list and settled items stay settled, so nothing accepted is lost or counted twice.
 * A batch stranded again after that is failed, its unfinished items with it, so its caller gets
 * an answer instead of a batch that runs forever and is never purged.
 *
 * Finished batches are not looked at: a batch reaches a final status only after the check that
 * every item settled with its result (verifyBatch.ts), so a batch claiming success with items
 * unsettled can only be one finished before that check existed; re-checking every finished
 * batch on each sweep would cost a read per batch for them alone.
 */
export async function recoverStrandedBatches(deps: StrandedBatchDependencies): Promise<StrandedReport> {
  const quietSince = new Date(deps.now().getTime() - (deps.quietMinutes ?? DEFAULT_QUIET_MINUTES) * 60_000);
  const report: StrandedReport = { checked: 0, restarted: 0, failed: 0, errors: 0 };
  const quiet: BatchRecord[] = [];
  for await (const batch of deps.store.listQuietUnfinishedBatches(quietSince)) quiet.push(batch);

  for (const listed of quiet) {
    report.checked++;
    try {
      const outcome = await recover(listed, deps);
      if (outcome) report[outcome]++;
    } catch (error) {
      // One batch the backend cannot answer for must not keep the others (or the purge after) from running.
      report.errors++;
      deps.log?.(`Batch ${listed.kind}/${listed.batchId}: could not check for a stranded orchestration: ${scrubSecrets(error instanceof Error ? error.message : String(error))}`);
    }
  }
  if (report.checked > 0) deps.log?.(`Stranded-batch sweep: ${report.checked} quiet unfinished batches checked, ${report.restarted} started again, ${report.failed} failed, ${report.errors} not checked`);
  return report;
}

async function recover(listed: BatchRecord, deps: StrandedBatchDependencies): Promise<"restarted" | "failed" | undefined> {
  const instance = await deps.instanceState(batchInstanceId(listed.batchId));
  if (instance.state === "running") return undefined;
  // Read again after the lookup: an orchestration that just ended has written its final status first.
  const batch = await deps.store.getBatch(listed.kind, listed.batchId);
  if (!batch || batch.deleted || isFinalBatchStatus(batch.status)) return undefined;
  const why = instance.state === "missing" ? "its orchestration was missing" : `its orchestration ended (${instance.runtimeStatus}) before the batch finished`;
  if (!batch.milestones?.restartedAt) {
    if (!(await restart(batch, deps))) return undefined;
    deps.log?.(`Batch ${batch.kind}/${batch.batchId} started again: ${why}`);
    return "restarted";
  }
  await failStranded(batch, why, deps);
  deps.log?.(`Batch ${batch.kind}/${batch.batchId} failed: ${why}, again after a restart`);
  return "failed";
}

/** Starts the batch's orchestration again; false while an instance of its old tree still runs (tried again at the next sweep). */
async function restart(batch: BatchRecord, deps: StrandedBatchDependencies): Promise<boolean> {
  const instanceIds = batchInstanceIds(batch);
  // A range instance of the old tree may still be running (siblings of one that failed, children
  // of a terminated batch instance): the new tree would collide with it. It ends by itself.
  for (const instanceId of instanceIds.slice(1)) if ((await deps.instanceState(instanceId)).state === "running") return false;
  // Old histories go first: a range instance that exists would answer the new tree's call with its old result instead of running.
  for (const instanceId of instanceIds) await deps.purgeInstance(instanceId);
  const restartedAt = deps.now().toISOString();
  const marked = await deps.store.updateBatch(batch.kind, batch.batchId, (current) =>
    current.deleted || isFinalBatchStatus(current.status) ? undefined : { milestones: { ...current.milestones, restartedAt } },
  );
  if (marked?.milestones?.restartedAt !== restartedAt) return false;
  await deps.runner.start({ kind: batch.kind, batchId: batch.batchId });
  return true;
}

async function failStranded(batch: BatchRecord, why: string, deps: StrandedBatchDependencies): Promise<void> {
  const error: EngineError = { code: "InternalError", message: `The batch stopped before it finished: ${why}, again after a restart. Items that had not finished are failed; submit them again.` };
  if (batch.itemCount) await failUnfinishedItems({ kind: batch.kind, batchId: batch.batchId, first: 0, count: batch.itemCount, reason: why }, deps);
  await deps.store.updateBatch(batch.kind, batch.batchId, (current) =>
    current.deleted || isFinalBatchStatus(current.status) ? undefined : { status: "failed", error, completedAt: deps.now().toISOString() },
  );
}
