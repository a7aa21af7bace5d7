import type { BatchEventContent } from "../../engine/batchKind.js";
import type { BatchRecord } from "../../engine/model.js";
import { specOf } from "./spec.js";

/**
 * docbatch's event for a Document Intelligence batch (DI itself sends none):
 * `documentintelligence.batch.succeeded|failed|canceled`, with the result id, model and status
 * the analyzeBatchResults operation reports.
 */
export function documentIntelligenceBatchEvent(batch: BatchRecord): BatchEventContent | undefined {
  if (batch.status !== "succeeded" && batch.status !== "failed" && batch.status !== "canceled") return undefined;
  return { type: `documentintelligence.batch.${batch.status}`, data: { resultId: batch.batchId, modelId: specOf(batch).modelId, status: batch.status } };
}
