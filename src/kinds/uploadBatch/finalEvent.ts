import type { BatchEventContent } from "../../engine/batchKind.js";
import type { BatchRecord } from "../../engine/model.js";

/**
 * docbatch's event for an upload batch (DocuDevs' job): `docudevs.job.completed` or
 * `docudevs.job.error`, with the job's guid and its status word (COMPLETED or ERROR, as
 * `GET /job/status` reports it; a canceled job is ERROR there too).
 */
export function uploadBatchEvent(batch: BatchRecord): BatchEventContent | undefined {
  if (batch.status === "succeeded") return { type: "docudevs.job.completed", data: { jobGuid: batch.batchId, status: "COMPLETED" } };
  if (batch.status === "failed" || batch.status === "canceled" || batch.status === "expired") {
    return { type: "docudevs.job.error", data: { jobGuid: batch.batchId, status: "ERROR", ...(batch.status === "canceled" ? { canceled: true } : {}) } };
  }
  return undefined;
}
