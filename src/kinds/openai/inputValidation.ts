import { jsonlLines } from "./jsonlLines.js";
import { upstreamPathOf } from "./spec.js";

/** One entry of a failed batch's `errors.data` (OpenAI's BatchError). */
export interface InputProblem {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

/** A line that passed validation: its task id and where its bytes are, to read it again when it runs. */
export interface InputTask {
  customId: string;
  offset: number;
  length: number;
  /** The line itself when it is at most INLINE_LINE_BYTES long: kept with the task, never read again. */
  text?: string;
}

/** What validation found besides the tasks: filled in as the file streams by. */
export interface InputReport {
  /** The one model every line names (undefined when no line named one). */
  model?: string;
  problems: InputProblem[];
  tasks: number;
}

export interface ValidateInputOptions {
  /** The batch's endpoint (`/v1/chat/completions` or `/chat/completions`). */
  endpoint: string;
  maxLines: number;
  /** Whether an upstream serves the model (model_not_found otherwise). */
  serves(model: string): boolean;
}

/** Endpoints a batch (and so each of its lines) may name. */
export const BATCH_ENDPOINTS = ["/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/responses", "/v1/moderations"] as const;
export const SERVED_UPSTREAM_PATHS: ReadonlySet<string> = new Set(BATCH_ENDPOINTS.map(upstreamPathOf));

/** Problems kept per batch: enough to fix a file, small enough for the batch row. */
export const MAX_PROBLEMS = 50;
/** A request line longer than this is refused (it would not fit an upstream request either). */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;
const MAX_CUSTOM_ID_CHARS = 512;
/** Lines up to this size travel with their task (an item row holds 64 KiB of text). */
export const INLINE_LINE_BYTES = 16 * 1024;
const MAX_SHOWN_CHARS = 120;

/**
 * Validates a batch input file as it streams by, never holding more than one line: every line
 * must be a JSON request `{ custom_id, method: "POST", url, body }` for the batch's endpoint,
 * all for one model an upstream serves, with unique custom ids, at most `maxLines` of them.
 * Blank lines are skipped. Tasks are yielded as they pass, until the first problem; `report`
 * says, once the generator is done, whether the file as a whole passed (no problems). Stops
 * reading after MAX_PROBLEMS problems or past the line limit.
 */
export async function* validatedTasks(stream: AsyncIterable<Uint8Array>, options: ValidateInputOptions, report: InputReport): AsyncGenerator<InputTask> {
  const problems = report.problems;
  const seen = new Set<string>();
  const wantedPath = upstreamPathOf(options.endpoint);
  let model: string | undefined;
  let modelChecked = false;
  const problem = (code: string, message: string, line: number | null, param: string | null = null) => {
    problems.push({ code, message: message.slice(0, 300), param, line });
  };

  for await (const read of jsonlLines(stream, { maxLineBytes: MAX_LINE_BYTES })) {
    if (problems.length >= MAX_PROBLEMS) break;
    const at = read.line;
    if (read.tooLong) {
      problem("invalid_request", `Line ${at} is ${read.length} bytes long; a request line may have at most ${MAX_LINE_BYTES} bytes.`, at);
      continue;
    }
    if (isBlank(read.bytes)) continue;
    if (report.tasks + problems.length >= options.maxLines) {
      problems.push(tooManyTasks(options.maxLines, at));
      break;
    }
    let request: unknown;
    try {
      request = JSON.parse(read.bytes.toString("utf8"));
    } catch (error) {
      problem("invalid_json_line", `Line ${at} is not valid JSON (${(error as Error).message}); each line must be one JSON object.`, at);
      continue;
    }
    if (!request || typeof request !== "object" || Array.isArray(request)) {
      problem("invalid_request", `Line ${at} is not a JSON object; expected { "custom_id", "method", "url", "body" }.`, at);
      continue;
    }
    const { custom_id: customId, method, url, body } = request as Record<string, unknown>;
    if (typeof customId !== "string" || customId === "") {
      problem("invalid_request", `Line ${at}: 'custom_id' must be a non-empty string.`, at, "custom_id");
      continue;
    }
    if (customId.length > MAX_CUSTOM_ID_CHARS) {
      problem("invalid_request", `Line ${at}: 'custom_id' has ${customId.length} characters; at most ${MAX_CUSTOM_ID_CHARS}.`, at, "custom_id");
      continue;
    }
    if (method !== "POST") {
      problem("invalid_request", `Line ${at}: 'method' must be "POST".`, at, "method");
      continue;
    }
    if (typeof url !== "string" || !SERVED_UPSTREAM_PATHS.has(upstreamPathOf(url))) {
      problem("invalid_request", `Line ${at}: 'url' must be one of ${BATCH_ENDPOINTS.join(", ")} (got ${shown(url)}).`, at, "url");
      continue;
    }
    if (upstreamPathOf(url) !== wantedPath) {
      problem("url_mismatch", `Line ${at}: url ${shown(url)} differs from the batch's endpoint ${options.endpoint}; every line must use the batch's endpoint.`, at, "url");
      continue;
    }
    if (!body || typeof body !== "object" || Array.isArray(body)) {
      problem("invalid_request", `Line ${at}: 'body' must be a JSON object (the request sent to ${options.endpoint}).`, at, "body");
      continue;
    }
    const lineModel = (body as Record<string, unknown>).model;
    if (typeof lineModel !== "string" || lineModel === "") {
      problem("invalid_request", `Line ${at}: 'body.model' must name the model (Azure: the deployment).`, at, "body.model");
      continue;
    }
    if (model === undefined) report.model = model = lineModel;
    if (lineModel !== model) {
      problem("model_mismatch", `Line ${at}: model ${shown(lineModel)} differs from ${shown(model)} of the first request; one batch runs one model.`, at, "body.model");
      continue;
    }
    if (!modelChecked) {
      modelChecked = true;
      if (!options.serves(model)) problem("model_not_found", `No upstream of this deployment serves model ${shown(model)} (DOCBATCH_LLM_MODELS).`, at, "body.model");
    }
    if (seen.has(customId)) {
      problem("duplicate_custom_id", `Line ${at}: custom_id ${shown(customId)} is used by an earlier line; custom ids must be unique within a batch.`, at, "custom_id");
      continue;
    }
    seen.add(customId);
    report.tasks++;
    if (problems.length === 0) {
      yield { customId, offset: read.offset, length: read.length, ...(read.length <= INLINE_LINE_BYTES ? { text: read.bytes.toString("utf8") } : {}) };
    }
  }
  if (report.tasks === 0 && problems.length === 0) problem("empty_file", "The input file has no requests.", null);
}

/** Per-file request limits as documented: OpenAI's Batch API takes 50,000 requests per input file, Azure OpenAI's global batch 100,000. */
export const ROUTE_MAX_LINES = { openai: 50_000, azure: 100_000 } as const;
export type OpenAiRoute = keyof typeof ROUTE_MAX_LINES;

export interface InputLimits {
  maxLines: number;
  maxBytes: number;
}

/**
 * The first limit a file breaks, found by counting its request lines and bytes without parsing
 * them: the pass that runs before any line is recorded, so an oversized file costs no rows. Stops
 * reading at the first line past the limit. Counts as validatedTasks does (blank lines skipped),
 * so the problem names the same line validation would.
 */
export async function inputLimitProblem(stream: AsyncIterable<Uint8Array>, limits: InputLimits): Promise<InputProblem | undefined> {
  let requests = 0;
  let bytes = 0;
  for await (const read of jsonlLines(stream, { maxLineBytes: MAX_LINE_BYTES })) {
    bytes = read.offset + read.length;
    if (bytes > limits.maxBytes) {
      return { code: "file_too_large", message: `The input file is larger than ${limits.maxBytes} bytes; split it into smaller batches.`, param: null, line: read.line };
    }
    if (!read.tooLong && isBlank(read.bytes)) continue;
    if (++requests > limits.maxLines) return tooManyTasks(limits.maxLines, read.line);
  }
  return undefined;
}

function tooManyTasks(maxLines: number, line: number): InputProblem {
  return { code: "too_many_tasks", message: `The file has more than ${maxLines} requests; split it into batches of at most ${maxLines} lines.`, param: null, line };
}

/** Validates a whole file, keeping no tasks: what validation alone costs (benchmarks, tests). */
export async function validateInput(stream: AsyncIterable<Uint8Array>, options: ValidateInputOptions): Promise<InputReport> {
  const report: InputReport = { problems: [], tasks: 0 };
  for await (const _task of validatedTasks(stream, options, report));
  return report;
}

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

function shown(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text);
}
