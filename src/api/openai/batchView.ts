import type { BatchRecord, BatchSummary } from "../../engine/model.js";
import { resultFileIds } from "../../kinds/openai/kind.js";
import { openAiSpecOf } from "../../kinds/openai/spec.js";
import type { InputProblem } from "../../kinds/openai/inputValidation.js";
import { blobUrl } from "../../storage/containerUrl.js";

export type OpenAiBatchStatus = "validating" | "failed" | "in_progress" | "finalizing" | "completed" | "expired" | "cancelling" | "cancelled";

/** The engine's words in OpenAI's: `cancelling` while a requested cancel is under way. */
export function openAiStatusOf(batch: BatchRecord): OpenAiBatchStatus {
  switch (batch.status) {
    case "succeeded":
      return "completed";
    case "failed":
      return "failed";
    case "canceled":
      return "cancelled";
    case "expired":
      return "expired";
  }
  if (batch.cancelRequested) return "cancelling";
  if (batch.status === "processing") return "in_progress";
  if (batch.status === "finalizing") return "finalizing";
  return "validating";
}

const seconds = (iso: string | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : null);

/** The Batch object of contracts §3, every field present (null when it does not apply yet). */
export function batchObject(summary: BatchSummary, model: string | null): Record<string, unknown> {
  const { batch, counts, metrics } = summary;
  const spec = openAiSpecOf(batch);
  const status = openAiStatusOf(batch);
  const ended = seconds(batch.completedAt);
  const hasFiles = status === "completed" || status === "cancelled" || status === "expired";
  const files = hasFiles && !spec.output ? resultFileIds(batch) : undefined;
  const problems = (batch.error?.details?.errors as InputProblem[] | undefined) ?? (batch.error ? [{ code: batch.error.code, message: batch.error.message, param: null, line: null }] : undefined);
  const inputBlob = "blobUrl" in spec.input ? spec.input.blobUrl : undefined;
  const folder = spec.output?.folderUrl.replace(/\/+$/, "");
  return {
    id: batch.batchId,
    object: "batch",
    endpoint: spec.endpoint,
    model,
    errors: status === "failed" && problems ? { object: "list", data: problems } : null,
    input_file_id: "fileId" in spec.input ? spec.input.fileId : null,
    completion_window: spec.completionWindow,
    status,
    output_file_id: files?.output ?? null,
    error_file_id: files?.error ?? null,
    created_at: spec.createdAt,
    in_progress_at: seconds(batch.milestones?.processingAt),
    expires_at: spec.expiresAt,
    finalizing_at: seconds(batch.milestones?.finalizingAt),
    completed_at: status === "completed" ? ended : null,
    failed_at: status === "failed" ? ended : null,
    expired_at: status === "expired" ? ended : null,
    cancelling_at: seconds(batch.milestones?.cancelRequestedAt),
    cancelled_at: status === "cancelled" ? ended : null,
    request_counts: { total: batch.itemCount ?? 0, completed: counts.succeeded, failed: counts.failed },
    usage: {
      input_tokens: metrics.inputTokens ?? 0,
      input_tokens_details: { cached_tokens: metrics.cachedTokens ?? 0 },
      output_tokens: metrics.outputTokens ?? 0,
      output_tokens_details: { reasoning_tokens: metrics.reasoningTokens ?? 0 },
      total_tokens: metrics.totalTokens ?? 0,
    },
    metadata: spec.metadata ?? null,
    ...(inputBlob
      ? {
          input_blob: inputBlob,
          output_blob: folder && hasFiles ? blobUrl({ url: folder }, `${batch.batchId}/results.jsonl`) : null,
          error_blob: folder && hasFiles ? blobUrl({ url: folder }, `${batch.batchId}/errors.jsonl`) : null,
        }
      : {}),
  };
}
