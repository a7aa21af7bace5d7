import { lastChangeOf, type BatchSummary, type EngineError, type ItemRecord } from "../../engine/model.js";
import { isFinalBatchStatus, settledCount } from "../../engine/statusRules.js";

/**
 * A batch as the dashboard shows it. `state` is honest about every end: a batch that finished
 * with failed items is `partial`, not `succeeded`; one whose cancel is pending is `canceling`;
 * `failed` (its input was refused, its source could not be read) is never shown as done.
 */
export type DashboardState = "notStarted" | "preparing" | "processing" | "finalizing" | "canceling" | "succeeded" | "partial" | "failed" | "canceled" | "expired";

/** Batch-wide problems shown (an OpenAI input file can have many); the rest are counted. */
const PROBLEMS_SHOWN = 20;

/** What went wrong, as specifically as the kind recorded it (DI keeps the real reason in `innererror`). */
export interface ErrorReason {
  code: string;
  message: string;
}

export function stateOf({ batch, counts }: Pick<BatchSummary, "batch" | "counts">): DashboardState {
  if (!isFinalBatchStatus(batch.status)) return batch.cancelRequested ? "canceling" : batch.status;
  if (batch.status === "succeeded" && counts.failed > 0) return "partial";
  return batch.status;
}

export function reasonOf(error: EngineError): ErrorReason {
  const inner = error.details?.innererror as { code?: unknown; message?: unknown } | undefined;
  if (inner && typeof inner.code === "string" && typeof inner.message === "string") return { code: inner.code, message: inner.message };
  return { code: error.code, message: error.message };
}

/** Per-line problems a kind keeps with a batch-wide error (OpenAI input validation: `details.errors`). */
function problemsOf(error: EngineError): { shown: { code: string; message: string; line: number | null }[]; total: number } | undefined {
  const problems = error.details?.errors;
  if (!Array.isArray(problems) || problems.length === 0) return undefined;
  const shown = problems.slice(0, PROBLEMS_SHOWN).map((problem: { code?: unknown; message?: unknown; line?: unknown }) => ({
    code: String(problem.code ?? ""),
    message: String(problem.message ?? ""),
    line: typeof problem.line === "number" ? problem.line : null,
  }));
  return { shown, total: problems.length };
}

export function batchView(summary: BatchSummary) {
  const { batch, counts } = summary;
  const problems = batch.error && problemsOf(batch.error);
  return {
    kind: batch.kind,
    batchId: batch.batchId,
    status: batch.status,
    state: stateOf(summary),
    cancelRequested: batch.cancelRequested,
    createdAt: batch.createdAt,
    ...(batch.startedAt ? { startedAt: batch.startedAt } : {}),
    updatedAt: lastChangeOf(summary),
    ...(batch.completedAt ? { completedAt: batch.completedAt } : {}),
    itemCount: batch.itemCount ?? null,
    counts,
    settled: settledCount(counts),
    running: summary.running ?? 0,
    labels: batch.labels ?? {},
    ...(batch.error ? { error: { code: batch.error.code, message: batch.error.message, reason: reasonOf(batch.error), ...(problems ? { problems: problems.shown, problemCount: problems.total } : {}) } } : {}),
  };
}

export function itemView(item: ItemRecord) {
  return {
    index: item.index,
    name: item.name,
    status: item.status,
    updatedAt: item.updatedAt,
    ...(item.error ? { error: { code: item.error.code, message: item.error.message, reason: reasonOf(item.error) } } : {}),
  };
}
