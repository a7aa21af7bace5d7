import type { BatchRecord, StatusTable } from "../storage/statusTable.js";
import { allRanges } from "../orchestration/documentRanges.js";
import { batchInstanceId, rangeInstanceId } from "../orchestration/instanceIds.js";

export interface PurgeDependencies {
  statusTable: StatusTable;
  /** Removes a Durable instance's history; resolves when gone or never existed. */
  purgeInstance(instanceId: string): Promise<void>;
  now(): Date;
  retentionHours: number;
  log?(message: string): void;
}

export interface PurgeReport {
  batches: number;
  documentRows: number;
  instances: number;
}

/**
 * Deletes the status of batches that finished more than the retention period ago, and of
 * batches their callers deleted, with their Durable history. Result blobs in callers'
 * containers are never touched. The batch row goes last, so an interrupted purge resumes.
 */
export async function purgeExpiredBatches(deps: PurgeDependencies): Promise<PurgeReport> {
  const cutoff = new Date(deps.now().getTime() - deps.retentionHours * 3_600_000);
  const report: PurgeReport = { batches: 0, documentRows: 0, instances: 0 };
  const expired: BatchRecord[] = [];
  for await (const batch of deps.statusTable.listBatchesToPurge(cutoff)) expired.push(batch);

  for (const batch of expired) {
    report.documentRows += await deps.statusTable.deleteDocuments(batch.batchId);
    const instanceIds = [batchInstanceId(batch.batchId)];
    if (batch.documentCount && batch.documentsPerLeaf) {
      for (const range of allRanges({ first: 0, count: batch.documentCount }, batch.documentsPerLeaf)) {
        instanceIds.push(rangeInstanceId(batch.batchId, range));
      }
    }
    for (const instanceId of instanceIds) {
      await deps.purgeInstance(instanceId);
      report.instances++;
    }
    await deps.statusTable.deleteBatch(batch.modelId, batch.batchId);
    report.batches++;
  }
  deps.log?.(`Purged ${report.batches} batches, ${report.documentRows} document rows, ${report.instances} orchestration instances`);
  return report;
}
