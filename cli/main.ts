#!/usr/bin/env node
// `docbatch`: the command-line client (bin/docbatch.mjs runs this compiled file).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError, Option } from "commander";
import { analyze } from "./commands/analyze.js";
import { cancel, dashboard, list, status } from "./commands/batches.js";
import { extract } from "./commands/extract.js";
import { openAiBatch } from "./commands/openai.js";
import { DEFAULT_BATCH_ENDPOINT } from "./frontDoors/openai.js";
import { ExitCode, ServiceError, UsageError } from "./exitCodes.js";

const program = new Command("docbatch")
  .version(packageVersion())
  .description("Run document batches on docbatch: analyze a folder, follow progress, get the results.")
  .showHelpAfterError()
  .addHelpText(
    "after",
    `
docbatch is found through DOCBATCH_URL and DOCBATCH_KEY (and AZURE_STORAGE_CONNECTION_STRING to upload
local folders), or else through the data folder of a running \`npm run local\` (--data, DOCBATCH_DATA,
default .local-data/ of this repo).

Exit codes: 0 all documents succeeded or were skipped, 2 some documents failed, 3 the batch failed or
was canceled, 1 usage or service errors, 130 interrupted (Ctrl-C).

Failures are listed one per line, for every command: the path (or custom_id and input line), the
most specific error code, the message; by path, or by line for OpenAI batches.`,
  );

const jsonOption = () => new Option("--json", "print one JSON document on stdout and no progress");
const dataOption = () => new Option("--data <dir>", "data folder of `npm run local` to read its endpoints from");

program
  .command("analyze")
  .description("analyze every document of a local folder (uploaded first) or of a container URL")
  .argument("<source>", "a folder of documents, or a container URL (with a SAS docbatch can read)")
  .option("--model <id>", "Document Intelligence model", "prebuilt-read")
  .option("--out <dir>", "download the .ocr.json results here, mirroring the source folder")
  .option("--prefix <prefix>", "container URL: analyze only blobs under this prefix; folder: upload under it (default documents/)")
  .option("--overwrite", "analyze again documents whose result already exists (default: skip them)")
  .option("--container <name>", "folder: upload into this container (default: a new one per run)")
  .option("--results <containerUrl>", "container URL: write results to this container (default: the source container)")
  .option("--result-prefix <prefix>", "where in the result container results go (default results/ next to the documents)")
  .option("--cancel-on-exit", "cancel the batch on Ctrl-C instead of leaving it running")
  .addOption(jsonOption())
  .addOption(dataOption())
  .action(async (source: string, options) => finish(await analyze(source, options)));

program
  .command("extract")
  .description("extract data from every document of a local folder with a prompt and a JSON schema (DocuDevs upload batches)")
  .argument("<folder>", "a folder of documents (PDF, images, DOCX, HTML, Markdown, text), read recursively")
  .option("--prompt <text>", "what to extract, in words")
  .option("--schema <file>", "a JSON Schema, or an example-shaped JSON object, the result must match")
  .option("--concurrency <n>", "documents processed at once (docbatch may lower it)", positiveInteger)
  .option("--out <file>", "write the results here: results.json (one { file, result | error } per document) or results.csv")
  .option("--cancel-on-exit", "cancel the batch on Ctrl-C instead of leaving it running")
  .addOption(jsonOption())
  .addOption(dataOption())
  .action(async (folder: string, options) => finish(await extract(folder, options)));

program
  .command("openai")
  .description("run an OpenAI batch: upload the JSONL file, create the batch, follow it, download its output and error files")
  .argument("<requests.jsonl>", "one { custom_id, method, url, body } request per line")
  .option("--endpoint <path>", "the endpoint every line calls", DEFAULT_BATCH_ENDPOINT)
  .option("--out <dir>", "where <name>.output.jsonl and <name>.errors.jsonl go (default: next to the input)")
  .option("--cancel-on-exit", "cancel the batch on Ctrl-C instead of leaving it running")
  .addOption(jsonOption())
  .addOption(dataOption())
  .action(async (input: string, options) => finish(await openAiBatch(input, options)));

program
  .command("list")
  .description("the newest batches of every front door")
  .option("--limit <n>", "how many", positiveInteger, 20)
  .option("--watch", "refresh every 2 s (in place on a terminal) until Ctrl-C")
  .addOption(jsonOption())
  .addOption(dataOption())
  .action(async (options) => finish(await list(options)));

program
  .command("status")
  .description("a batch's status, counts and failed items")
  .argument("<id>", "batch id (any front door)")
  .option("--watch", "refresh every 2 s (in place on a terminal) until the batch ends or Ctrl-C")
  .addOption(jsonOption())
  .addOption(dataOption())
  .action(async (id: string, options) => finish(await status(id, options)));

program
  .command("cancel")
  .description("cancel a running batch")
  .argument("<id>", "batch id (any front door)")
  .addOption(jsonOption())
  .addOption(dataOption())
  .action(async (id: string, options) => finish(await cancel(id, options)));

program
  .command("dashboard")
  .description("print the dashboard's address, signed in (the key rides in the URL fragment, which browsers never send)")
  .option("--batch <id>", "open this batch's page")
  .addOption(jsonOption())
  .addOption(dataOption())
  .action(async (options) => finish(await dashboard(options)));

/** The version in the clone's package.json (dist/cli/main.js is two folders below it). */
function packageVersion(): string {
  const manifest = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "package.json");
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError("must be a whole number above 0");
  return number;
}

function finish(code: ExitCode): never {
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`docbatch: ${describe(error)}\n`);
  process.exit(ExitCode.error);
}

function describe(error: unknown): string {
  if (error instanceof UsageError || error instanceof ServiceError) return error.message;
  const code = (error as { code?: string; cause?: { code?: string } })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND") {
    return `cannot reach docbatch or its storage (${code}: ${(error as Error).message}). Is \`npm run local\` running, and are DOCBATCH_URL / the data folder current?`;
  }
  // A URL that reached a client unchecked: still one sentence, not a stack trace.
  if (code === "ERR_INVALID_URL") {
    return `a URL is not valid; check DOCBATCH_URL and the URLs given, and put them in single quotes (a shell cuts unquoted values at ';' and '&').`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
