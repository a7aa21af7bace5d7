// What a finished (or followed) batch leaves on stdout: text for people, one JSON document for scripts.
import { sortFailures, statusText, type BatchView, type FailedItem } from "./batchView.js";
import { ExitCode } from "./exitCodes.js";
import { formatDuration, type OutputMode } from "./progress.js";
import type { WarnedItem } from "./resultWarnings.js";

export interface Summary {
  batch: BatchView;
  failed: FailedItem[];
  /** Succeeded documents whose results carry warnings (an unreadable page, ...). */
  warned?: WarnedItem[];
  /** Results written to disk, when the command downloads them. */
  downloaded?: { count: number; folder: string };
  elapsedMs?: number;
}

export function exitCodeFor(batch: BatchView): ExitCode {
  if (batch.outcome === "failed" || batch.outcome === "canceled") return ExitCode.batchFailed;
  if (batch.counts.failed > 0) return ExitCode.itemsFailed;
  return ExitCode.ok;
}

export function printSummary(summary: Summary, mode: OutputMode, out: NodeJS.WritableStream = process.stdout): void {
  out.write(summaryText(summary, mode));
}

/** The summary as printed: one JSON line, or lines for people. */
export function summaryText(summary: Summary, mode: OutputMode): string {
  const failed = sortFailures(summary.failed);
  if (mode === "json") return `${JSON.stringify({ ...summary, failed })}\n`;
  const { batch } = summary;
  const took = summary.elapsedMs === undefined ? "" : ` in ${formatDuration(summary.elapsedMs / 1000)}`;
  const lines = [`Batch ${batch.id} (${batch.label}) ${statusText(batch)}${took}: ${countsText(batch)}.`, ...batchErrorLines(batch)];
  if (failed.length > 0) lines.push(`Failed (${failed.length}):`, ...failureLines(failed));
  if (summary.warned?.length) {
    lines.push(`Succeeded with warnings (${summary.warned.length}):`);
    for (const item of summary.warned) for (const warning of item.warnings) lines.push(`  ${item.name}: ${warning}`);
  }
  if (summary.downloaded) lines.push(`Wrote ${summary.downloaded.count} results into ${summary.downloaded.folder}`);
  return `${lines.join("\n")}\n`;
}

/** "3 succeeded, 1 failed": skipped only where the front door skips (DI), canceled only when some were. */
export function countsText(batch: Pick<BatchView, "frontDoor" | "counts">): string {
  const { counts } = batch;
  const parts = [`${counts.succeeded} succeeded`, `${counts.failed} failed`];
  if (batch.frontDoor === "documentIntelligence" || counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  if (counts.canceled) parts.push(`${counts.canceled} canceled`);
  return parts.join(", ");
}

export function batchErrorLines(batch: BatchView): string[] {
  if (batch.problems?.length) {
    const more = (batch.problemCount ?? batch.problems.length) - batch.problems.length;
    const count = batch.problemCount ?? batch.problems.length;
    return [`Batch error: the input was refused (${count} ${count === 1 ? "problem" : "problems"}):`, ...batch.problems.map((problem) => `  ${problem}`), ...(more > 0 ? [`  ... and ${more} more`] : [])];
  }
  return batch.error ? [`Batch error: ${batch.error}`] : [];
}

/** One line per failure, in columns: path or custom_id (with its line), code, message. */
export function failureLines(failed: readonly FailedItem[]): string[] {
  const names = failed.map((item) => (item.line !== undefined ? `line ${item.line}  ${item.name}` : item.name));
  const nameWidth = Math.min(60, Math.max(...names.map((name) => name.length)));
  const codeWidth = Math.min(30, Math.max(...failed.map((item) => item.code.length)));
  return failed.map((item, index) => `  ${names[index].padEnd(nameWidth)}  ${item.code.padEnd(codeWidth)}  ${item.message}`.trimEnd());
}
