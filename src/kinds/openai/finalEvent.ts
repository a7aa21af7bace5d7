import type { BatchEventContent } from "../../engine/batchKind.js";
import type { BatchRecord, BatchStatus } from "../../engine/model.js";

const OPENAI_EVENT_TYPES: Partial<Record<BatchStatus, string>> = {
  succeeded: "batch.completed",
  failed: "batch.failed",
  canceled: "batch.cancelled",
  expired: "batch.expired",
};

/** OpenAI's batch webhook events: `batch.completed|failed|cancelled|expired` with `data: { id }`. */
export function openAiBatchEvent(batch: BatchRecord): BatchEventContent | undefined {
  const type = OPENAI_EVENT_TYPES[batch.status];
  return type ? { type, data: { id: batch.batchId } } : undefined;
}
