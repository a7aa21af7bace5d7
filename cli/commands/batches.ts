// `docbatch list`, `status <id>`, `cancel <id>`, `dashboard`: across every front door.
import { setTimeout as sleep } from "node:timers/promises";
import { settledCount, statusText, type BatchView } from "../batchView.js";
import { resolveConnection } from "../connection.js";
import { ExitCode, UsageError } from "../exitCodes.js";
import { interruptSignal } from "../follow.js";
import { frontDoors, type FoundBatch } from "../frontDoors/index.js";
import { LiveBlock } from "../liveBlock.js";
import { outputModeFor, type OutputMode } from "../progress.js";
import { exitCodeFor, summaryText } from "../summary.js";

interface CommonOptions {
  json?: boolean;
  data?: string;
}

interface WatchOptions {
  /** Refresh until Ctrl-C (status: until the batch ends), in place on a terminal. */
  watch?: boolean;
}

const WATCH_INTERVAL_MS = 2_000;

export async function list(options: CommonOptions & WatchOptions & { limit: number }): Promise<ExitCode> {
  const doors = frontDoors(resolveConnection({ dataDir: options.data }));
  const mode = outputModeFor(options, process.stdout);
  const render = async () => {
    const views = (await Promise.all(doors.map((door) => door.list(options.limit))))
      .flat()
      .sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""))
      .slice(0, options.limit);
    return listText(views, mode);
  };
  if (!options.watch) {
    process.stdout.write(await render());
    return ExitCode.ok;
  }
  await watch(render, () => false);
  return ExitCode.ok;
}

export async function status(id: string, options: CommonOptions & WatchOptions): Promise<ExitCode> {
  const mode = outputModeFor(options, process.stdout);
  let found = await findBatch(id, options);
  if (options.watch) {
    const interrupted = await watch(
      async () => {
        found = await findBatch(id, options);
        return summaryText({ batch: found.view, failed: found.failed }, mode);
      },
      () => found.view.outcome !== "running",
    );
    if (interrupted) return ExitCode.interrupted;
  } else {
    process.stdout.write(summaryText({ batch: found.view, failed: found.failed }, mode));
  }
  return found.view.outcome === "running" ? ExitCode.ok : exitCodeFor(found.view);
}

export async function cancel(id: string, options: CommonOptions): Promise<ExitCode> {
  const found = await findBatch(id, options);
  const mode = outputModeFor(options);
  if (found.view.outcome !== "running") {
    const message = `Batch ${id} is already ${statusText(found.view)}: nothing to cancel.`;
    process.stdout.write(mode === "json" ? `${JSON.stringify({ batch: found.view, canceled: false, message })}\n` : `${message}\n`);
    return found.view.outcome === "canceled" ? ExitCode.ok : ExitCode.error;
  }
  await found.cancel();
  process.stdout.write(mode === "json" ? `${JSON.stringify({ batch: found.view, canceled: true })}\n` : `Canceled batch ${id} (${found.view.frontDoor}).\n`);
  return ExitCode.ok;
}

/**
 * The dashboard's address, signed in: the key rides in the URL fragment, which a browser never
 * sends to a server, so it stays out of every request line and log.
 */
export async function dashboard(options: CommonOptions & { batch?: string }): Promise<ExitCode> {
  const connection = resolveConnection({ dataDir: options.data });
  let route = "";
  if (options.batch) {
    const found = await findBatch(options.batch, options);
    route = `&/batch/${found.view.frontDoor === "openai" ? "openaiBatch" : found.view.frontDoor}/${encodeURIComponent(options.batch)}`;
  }
  const url = `${connection.url}/dashboard#key=${encodeURIComponent(connection.key)}${route}`;
  process.stdout.write(outputModeFor(options) === "json" ? `${JSON.stringify({ url })}\n` : `${url}\n`);
  return ExitCode.ok;
}

/** Shows `render()` every WATCH_INTERVAL_MS until `done()` or Ctrl-C; true when Ctrl-C ended it. */
async function watch(render: () => Promise<string>, done: () => boolean): Promise<boolean> {
  const block = new LiveBlock(process.stdout);
  const interrupt = interruptSignal();
  try {
    for (;;) {
      block.show(await render());
      if (done()) return false;
      try {
        await sleep(WATCH_INTERVAL_MS, undefined, { signal: interrupt.signal });
      } catch {
        return true;
      }
    }
  } finally {
    interrupt.dispose();
  }
}

async function findBatch(id: string, options: CommonOptions): Promise<FoundBatch> {
  for (const door of frontDoors(resolveConnection({ dataDir: options.data })).filter((candidate) => candidate.claims(id))) {
    const found = await door.find(id);
    if (found) return found;
  }
  throw new UsageError(`No batch ${id} in any front door (see \`docbatch list\`).`);
}

function listText(views: BatchView[], mode: OutputMode): string {
  if (mode === "json") return `${JSON.stringify({ batches: views })}\n`;
  if (views.length === 0) return "No batches.\n";
  const rows = views.map((view) => [view.id, view.frontDoor, view.label, statusText(view), progressText(view), view.createdAt ?? ""]);
  return table([["ID", "FRONT DOOR", "RUNS", "STATUS", "PROGRESS", "CREATED"], ...rows]);
}

function progressText(view: BatchView): string {
  const total = view.counts.total === undefined ? "" : `/${view.counts.total}`;
  const failed = view.counts.failed ? ` (${view.counts.failed} failed)` : "";
  const canceled = view.counts.canceled ? ` (${view.counts.canceled} canceled)` : "";
  return `${settledCount(view.counts)}${total}${failed}${canceled}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()).join("\n") + "\n";
}
