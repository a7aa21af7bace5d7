// `docbatch list`, `status <id>`, `cancel <id>`: across every front door.
import type { BatchView } from "../batchView.js";
import { resolveConnection } from "../connection.js";
import { ExitCode, UsageError } from "../exitCodes.js";
import { frontDoors, type FoundBatch } from "../frontDoors/index.js";
import { outputModeFor } from "../progress.js";
import { exitCodeFor, printSummary } from "../summary.js";

interface CommonOptions {
  json?: boolean;
  data?: string;
}

export async function list(options: CommonOptions & { limit: number }): Promise<ExitCode> {
  const doors = frontDoors(resolveConnection({ dataDir: options.data }));
  const views = (await Promise.all(doors.map((door) => door.list(options.limit))))
    .flat()
    .sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""))
    .slice(0, options.limit);
  if (outputModeFor(options) === "json") {
    process.stdout.write(`${JSON.stringify({ batches: views })}\n`);
    return ExitCode.ok;
  }
  if (views.length === 0) {
    process.stdout.write("No batches.\n");
    return ExitCode.ok;
  }
  const rows = views.map((view) => [view.id, view.frontDoor, view.label, view.status, progressText(view), view.createdAt ?? ""]);
  process.stdout.write(table([["ID", "FRONT DOOR", "RUNS", "STATUS", "PROGRESS", "CREATED"], ...rows]));
  return ExitCode.ok;
}

export async function status(id: string, options: CommonOptions): Promise<ExitCode> {
  const found = await findBatch(id, options);
  printSummary({ batch: found.view, failed: found.failed }, outputModeFor(options));
  return found.view.outcome === "running" ? ExitCode.ok : exitCodeFor(found.view);
}

export async function cancel(id: string, options: CommonOptions): Promise<ExitCode> {
  const found = await findBatch(id, options);
  const mode = outputModeFor(options);
  if (found.view.outcome !== "running") {
    const message = `Batch ${id} is already ${found.view.status}: nothing to cancel.`;
    process.stdout.write(mode === "json" ? `${JSON.stringify({ batch: found.view, canceled: false, message })}\n` : `${message}\n`);
    return found.view.outcome === "canceled" ? ExitCode.ok : ExitCode.error;
  }
  await found.cancel();
  process.stdout.write(mode === "json" ? `${JSON.stringify({ batch: found.view, canceled: true })}\n` : `Canceled batch ${id} (${found.view.frontDoor}).\n`);
  return ExitCode.ok;
}

async function findBatch(id: string, options: CommonOptions): Promise<FoundBatch> {
  for (const door of frontDoors(resolveConnection({ dataDir: options.data })).filter((candidate) => candidate.claims(id))) {
    const found = await door.find(id);
    if (found) return found;
  }
  throw new UsageError(`No batch ${id} in any front door (see \`docbatch list\`).`);
}

function progressText(view: BatchView): string {
  const settled = view.counts.succeeded + view.counts.failed + view.counts.skipped;
  const total = view.counts.total === undefined ? "" : `/${view.counts.total}`;
  const failed = view.counts.failed ? ` (${view.counts.failed} failed)` : "";
  return `${settled}${total}${failed}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()).join("\n") + "\n";
}
