import { lastChangeOf, type BatchRecord, type BatchSummary } from "../../engine/model.js";
import { uploadSpecOf } from "../../kinds/uploadBatch/spec.js";

export type JobStatus = "PENDING" | "PROCESSING" | "COMPLETED" | "ERROR";

/**
 * DocuDevs' words for a batch's life. Their Python client stops polling only on COMPLETED or
 * ERROR, so every final engine status maps to one of them (a batch whose documents failed is
 * still COMPLETED: the failures are in its results).
 */
export function jobStatusOf(batch: BatchRecord): JobStatus {
  if (batch.status === "succeeded") return "COMPLETED";
  if (batch.status === "failed" || batch.status === "canceled" || batch.status === "expired") return "ERROR";
  return batch.startedAt ? "PROCESSING" : "PENDING";
}

/** A ProcessingJob with every field their generated client requires; `documents`: the uploads so far (the batch row holds them from process on). */
export function processingJob(batch: BatchRecord, summary?: Pick<BatchSummary, "counts" | "metrics" | "running" | "itemsChangedAt">, documents = uploadSpecOf(batch).documents): Record<string, unknown> {
  const status = jobStatusOf(batch);
  const total = documents;
  const completed = summary?.counts.succeeded ?? 0;
  const failed = summary ? summary.counts.failed + summary.counts.skipped + summary.counts.canceled : 0;
  const maxConcurrency = batch.maxConcurrency ?? 1;
  return {
    guid: batch.batchId,
    status,
    isBatch: true,
    totalDocs: total,
    completedDocs: completed,
    failedDocs: failed,
    // Documents recorded running (kept with the counters, so a poll stays a fixed number of reads).
    inProgressDocs: status === "PROCESSING" ? (summary?.running ?? 0) : 0,
    maxConcurrency,
    nextDocIndex: total,
    jobType: "BATCH",
    jobMode: "BATCH",
    organizationId: 0,
    dependencyStatus: "NONE",
    error: status === "ERROR" ? (batch.error?.message ?? (batch.status === "canceled" ? "The batch was canceled." : "The batch failed.")) : null,
    tokenCount: summary?.metrics.tokenCount ?? 0,
    createdAt: batch.createdAt,
    // The batch row is not written per document: the newest counter change shows the batch moving.
    updatedAt: lastChangeOf({ batch, itemsChangedAt: summary?.itemsChangedAt }),
  };
}
