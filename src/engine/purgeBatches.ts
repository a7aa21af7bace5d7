import type { KindRegistry } from "./kindRegistry.js";
import type { BatchRecord } from "./model.js";
import type { StatusStore } from "./statusStore.js";
import { batchInstanceIds } from "../orchestration/instanceIds.js";

export interface PurgeDependencies {
  store: StatusStore;
  kinds: KindRegistry;
  /** Removes a Durable instance's history; resolves when gone or never existed. */
  purgeInstance(instanceId: string): Promise<void>;
  now(): Date;
  retentionHours: number;
  log?(message: string): void;
}

export interface PurgeReport {
  batches: number;
  itemRows: number;
  instances: number;
  /** Batches whose kind keeps them listable: item rows and history purged, the row kept. */
  kept: number;
}

/**
 * Deletes the status of batches that finished more than the retention period ago, of batches
 * their callers deleted, and of batches never started that have not changed for as long (an
 * upload batch its caller abandoned, the row of a create storage could not confirm), with their
 * Durable history; each kind's `purge` first removes
 * what the kind keeps (uploads, output files). Results in callers' own containers are never
 * touched. The batch row goes last, so an interrupted purge resumes.
 */
export async function purgeExpiredBatches(deps: PurgeDependencies): Promise<PurgeReport> {
  const cutoff = new Date(deps.now().getTime() - deps.retentionHours * 3_600_000);
  const report: PurgeReport = { batches: 0, itemRows: 0, instances: 0, kept: 0 };
  const expired: BatchRecord[] = [];
  for await (const batch of deps.store.listBatchesToPurge(cutoff)) expired.push(batch);

  for (const batch of expired) {
    const kind = deps.kinds.get(batch.kind);
    const kept = !batch.deleted && kind?.keepsBatch ? await kind.keepsBatch(batch) : false;
    if (kept && batch.archivedTotals) continue; // purged down to its row already
    await kind?.purge?.(batch);
    if (kept) {
      // Totals first: once the counter rows are gone they cannot be read again.
      const totals = await deps.store.readCounts(batch.batchId);
      await deps.store.updateBatch(batch.kind, batch.batchId, () => ({ archivedTotals: totals }));
    }
    report.itemRows += await deps.store.deleteItems(batch.batchId);
    for (const instanceId of batchInstanceIds(batch)) {
      await deps.purgeInstance(instanceId);
      report.instances++;
    }
    if (kept) {
      report.kept++;
      continue;
    }
    await deps.store.deleteBatch(batch.kind, batch.batchId);
    report.batches++;
  }
  deps.log?.(`Purged ${report.batches} batches (${report.kept} more kept listable), ${report.itemRows} item rows, ${report.instances} orchestration instances`);
  return report;
}
