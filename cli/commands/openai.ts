// `docbatch openai <requests.jsonl>`: the OpenAI Batch flow end to end (upload the file, create the
// batch, follow it, download its output and error files).
import { createReadStream } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import path from "node:path";
import type { Batch } from "openai/resources/batches";
import { resolveConnection } from "../connection.js";
import { ExitCode, UsageError } from "../exitCodes.js";
import { followWithProgress } from "../follow.js";
import type { FailedItem } from "../batchView.js";
import { batchView, failedLinesOf, OpenAiBatchDoor } from "../frontDoors/openai.js";
import { outputModeFor, ProgressDisplay } from "../progress.js";
import { exitCodeFor, printSummary } from "../summary.js";

export interface OpenAiOptions {
  endpoint: string;
  out?: string;
  cancelOnExit?: boolean;
  json?: boolean;
  data?: string;
}

export async function openAiBatch(input: string, options: OpenAiOptions): Promise<ExitCode> {
  const info = await stat(input).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`${input} is not a file (give a JSONL file of batch requests, one { custom_id, method, url, body } per line).`);
  if (info.size === 0) throw new UsageError(`${input} is empty: it needs one request per line.`);
  const outDir = path.resolve(options.out ?? path.dirname(input));
  const outInfo = await stat(outDir).catch(() => undefined);
  if (outInfo && !outInfo.isDirectory()) throw new UsageError(`--out ${options.out} is not a folder.`);
  const connection = resolveConnection({ dataDir: options.data });
  const mode = outputModeFor(options);
  const progress = new ProgressDisplay(mode);
  const started = Date.now();
  const door = new OpenAiBatchDoor(connection);

  progress.note(`Uploading ${input}`);
  const fileId = await door.upload(input);
  const created = await door.create(fileId, options.endpoint);
  const id = created.id;
  progress.note(`Batch ${id} created (${options.endpoint}, input ${fileId}).`);

  const final = await followWithProgress({
    id,
    phase: "Running",
    progress,
    poll: async () => {
      const batch = await door.get(id);
      return batch && { view: batchView(batch), batch };
    },
    cancelOnExit: options.cancelOnExit,
    cancel: () => door.cancel(id),
  });
  if (final === "interrupted") return ExitCode.interrupted;

  const written = await downloadFiles(door, final.batch, outDir, path.basename(input).replace(/\.jsonl?$/i, ""));
  const failed = written.errors ? await withInputLines(input, failedLinesOf(await readFile(written.errors, "utf8"))) : [];
  printSummary(
    {
      batch: final.view,
      failed,
      ...(written.count > 0 ? { downloaded: { count: written.count, folder: outDir } } : {}),
      elapsedMs: Date.now() - started,
    },
    mode,
  );
  if (mode !== "json") {
    for (const file of [written.output, written.errors]) if (file) process.stdout.write(`  ${file}\n`);
  }
  return exitCodeFor(final.view);
}

/** `<name>.output.jsonl` and `<name>.errors.jsonl` in `outDir`, for the files the batch has. */
async function downloadFiles(door: OpenAiBatchDoor, batch: Batch, outDir: string, name: string): Promise<{ count: number; output?: string; errors?: string }> {
  const written: { count: number; output?: string; errors?: string } = { count: 0 };
  if (!batch.output_file_id && !batch.error_file_id) return written;
  await mkdir(outDir, { recursive: true });
  if (batch.output_file_id) {
    written.output = path.join(outDir, `${name}.output.jsonl`);
    await door.download(batch.output_file_id, written.output);
    written.count++;
  }
  if (batch.error_file_id) {
    written.errors = path.join(outDir, `${name}.errors.jsonl`);
    await door.download(batch.error_file_id, written.errors);
    written.count++;
  }
  return written;
}

/** The failed lines with their line numbers in the input, found by custom_id (read as a stream). */
async function withInputLines(input: string, failed: FailedItem[]): Promise<FailedItem[]> {
  if (failed.length === 0) return failed;
  const wanted = new Set(failed.map((item) => item.name));
  const lineOf = new Map<string, number>();
  let number = 0;
  for await (const text of createInterface({ input: createReadStream(input), crlfDelay: Infinity })) {
    number++;
    if (lineOf.size === wanted.size) break;
    const customId = customIdOf(text);
    if (customId !== undefined && wanted.has(customId) && !lineOf.has(customId)) lineOf.set(customId, number);
  }
  return failed.map((item) => (lineOf.has(item.name) ? { ...item, line: lineOf.get(item.name) } : item));
}

function customIdOf(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { custom_id?: unknown };
    return typeof parsed.custom_id === "string" ? parsed.custom_id : undefined;
  } catch {
    return undefined;
  }
}
