// What a finished (or followed) batch leaves on stdout: text for people, one JSON document for scripts.
import type { BatchView, FailedItem } from "./batchView.js";
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
  if (mode === "json") {
    out.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const { batch, failed } = summary;
  const took = summary.elapsedMs === undefined ? "" : ` in ${formatDuration(summary.elapsedMs / 1000)}`;
  const lines = [
    `Batch ${batch.id} (${batch.label}) ${batch.status}${took}: ${batch.counts.succeeded} succeeded, ${batch.counts.failed} failed, ${batch.counts.skipped} skipped.`,
  ];
  if (batch.error) lines.push(`Batch error: ${batch.error}`);
  if (failed.length > 0) {
    lines.push(`Failed (${failed.length}):`);
    for (const item of failed) lines.push(`  ${item.name}: ${item.error}`);
  }
  if (summary.warned?.length) {
    lines.push(`Succeeded with warnings (${summary.warned.length}):`);
    for (const item of summary.warned) for (const warning of item.warnings) lines.push(`  ${item.name}: ${warning}`);
  }
  if (summary.downloaded) lines.push(`Wrote ${summary.downloaded.count} results into ${summary.downloaded.folder}`);
  out.write(`${lines.join("\n")}\n`);
}
