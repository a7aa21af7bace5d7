// `docbatch extract <folder> --prompt ... --schema schema.json`: the upload-batch flow end to end
// (create, upload every file, process, follow, results to disk).
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import pLimit from "p-limit";
import { resultsCsv } from "../../src/api/uploadBatch/resultsCsv.js";
import { listLocalFiles } from "../blobTransfer.js";
import { resolveConnection } from "../connection.js";
import { ExitCode, UsageError } from "../exitCodes.js";
import { followWithProgress } from "../follow.js";
import { UploadBatchDoor, uploadOutcomes, type UploadOutcome } from "../frontDoors/uploadBatch.js";
import { outputModeFor, ProgressDisplay } from "../progress.js";
import { exitCodeFor, printSummary } from "../summary.js";

export interface ExtractOptions {
  prompt?: string;
  schema?: string;
  concurrency?: number;
  out?: string;
  cancelOnExit?: boolean;
  json?: boolean;
  data?: string;
}

const UPLOADS_AT_ONCE = 4;
const POLL_MS = 1_000;

/** Content types by extension (docbatch reads each upload by its bytes; this is only a label). */
const MIME_TYPES: Record<string, string> = {
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".bmp": "image/bmp",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".html": "text/html",
  ".htm": "text/html",
  ".md": "text/markdown",
  ".txt": "text/plain",
};

export async function extract(folder: string, options: ExtractOptions): Promise<ExitCode> {
  const outFormat = options.out ? formatOf(options.out) : undefined;
  const schema = options.schema ? await readSchema(options.schema) : undefined;
  if (!options.prompt && !schema) throw new UsageError("Give --prompt and/or --schema (what to extract); with neither, docbatch returns each document's text.");
  const files = await listLocalFiles(folder);
  if (files.length === 0) throw new UsageError(`${folder} holds no files to extract from.`);
  const connection = resolveConnection({ dataDir: options.data });
  const mode = outputModeFor(options);
  const progress = new ProgressDisplay(mode);
  const started = Date.now();
  const door = new UploadBatchDoor(connection);

  const { jobGuid: id } = await door.create({ maxConcurrency: options.concurrency });
  progress.note(`Batch ${id} created; uploading ${files.length} files from ${folder}`);
  const names: string[] = [];
  const limit = pLimit(UPLOADS_AT_ONCE);
  let uploaded = 0;
  progress.begin("Uploading", { total: files.length, succeeded: 0, failed: 0, skipped: 0 });
  try {
    await Promise.all(
      files.map((file) =>
        limit(async () => {
          // The index docbatch answers places the file in the results, whatever order uploads finish in.
          const { index } = await door.upload(id, { path: path.join(folder, file), name: file, mimeType: MIME_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream" });
          names[index] = file;
          progress.update({ total: files.length, succeeded: ++uploaded, failed: 0, skipped: 0 });
        }),
      ),
    );
  } finally {
    progress.end();
  }
  await door.process(id, { ...(options.prompt ? { prompt: options.prompt } : {}), ...(schema ? { schema } : {}) });

  const final = await followWithProgress({
    id,
    phase: "Extracting",
    total: files.length,
    progress,
    poll: async () => {
      const view = await door.view(id);
      return view && { view, retryAfterMs: POLL_MS };
    },
    cancelOnExit: options.cancelOnExit,
    cancel: () => door.cancel(id),
  });
  if (final === "interrupted") return ExitCode.interrupted;

  // docbatch numbers uploads as they arrive; results are written in the folder's order.
  const uploadedResults = await door.results(id);
  const order = inFolderOrder(files, names, uploadedResults.length);
  const results = order.map((index) => uploadedResults[index]);
  const outcomes = uploadOutcomes(results, order.map((index) => names[index]));
  if (options.out && outFormat) await writeResults(options.out, outFormat, results, outcomes);
  printSummary(
    {
      batch: final.view,
      failed: final.view.counts.failed > 0 ? await door.failed(id, names) : [],
      ...(options.out ? { downloaded: { count: results.length, folder: path.resolve(options.out) } } : {}),
      elapsedMs: Date.now() - started,
    },
    mode,
  );
  if (!options.out && mode !== "json") process.stdout.write(`Add --out results.json (or .csv) to save the results.\n`);
  return exitCodeFor(final.view);
}

/** Upload indexes in the order of `files` (the folder's, sorted); uploads the CLI did not name come last. */
function inFolderOrder(files: readonly string[], names: readonly string[], count: number): number[] {
  const indexOf = new Map(names.map((name, index) => [name, index]));
  const named = files.flatMap((file) => (indexOf.has(file) ? [indexOf.get(file)!] : []));
  const taken = new Set(named);
  return [...named, ...Array.from({ length: count }, (_, index) => index).filter((index) => !taken.has(index))];
}

function formatOf(out: string): "json" | "csv" {
  const extension = path.extname(out).toLowerCase();
  if (extension === ".json") return "json";
  if (extension === ".csv") return "csv";
  throw new UsageError(`--out ${out}: name a .json or .csv file.`);
}

/** The schema file's text, refused here when it is not JSON (before anything is uploaded). */
async function readSchema(file: string): Promise<string> {
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--schema ${file}: cannot read it (${error.code ?? error.message}).`);
  });
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--schema ${file} is not JSON: ${(error as Error).message}`);
  }
  return text;
}

/** JSON: `[{ file, result } | { file, error }]` in folder order; CSV: docbatch's columns with `file` added. */
async function writeResults(out: string, format: "json" | "csv", results: readonly unknown[], outcomes: readonly UploadOutcome[]): Promise<void> {
  const text = format === "csv" ? resultsCsv(results, { fileNames: outcomes.map((outcome) => outcome.file) }) : `${JSON.stringify(outcomes, null, 2)}\n`;
  await writeFile(out, text);
}
