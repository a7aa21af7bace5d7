import { createHash } from "node:crypto";
import pLimit from "p-limit";
import type { DocbatchSettings } from "../../config/settings.js";
import type { BatchKind, FinalizeResult, ItemResult } from "../../engine/batchKind.js";
import { ItemError } from "../../engine/itemError.js";
import type { BatchRecord, ItemRecord, ItemSeed } from "../../engine/model.js";
import type { StatusStore } from "../../engine/statusStore.js";
import { readUsage, type TokenUsage } from "../../llm/tokenEstimate.js";
import { LLM_PATHS, UpstreamUnavailableError, type LlmPath, type LlmUpstream } from "../../llm/upstream.js";
import { LINES_PER_PART, type OpenAiBatchWork, type RecordedResult, type ResultFileKind } from "../../storage/openAiBatchWork.js";
import type { FileAssembler, OpenAiFileStore, StoredFile } from "../../storage/openAiFileStore.js";
import { newFileId } from "../../storage/openAiFileStore.js";
import { batchInputReader, outputBlobs, type BlobAccessServices } from "./batchInput.js";
import { inputLimitProblem, ROUTE_MAX_LINES, validatedTasks, type InputLimits, type InputProblem, type InputReport } from "./inputValidation.js";
import { resultLine, type LineResponse } from "./resultLines.js";
import { OPENAI_BATCH_KIND, openAiSpecOf, upstreamPathOf, type OpenAiBatchSpec, type ValidatedInput } from "./spec.js";
import { openAiBatchEvent } from "./finalEvent.js";

export interface OpenAiBatchKindServices extends BlobAccessServices {
  settings: Pick<DocbatchSettings, "openAiBatches">;
  openAiFiles: OpenAiFileStore;
  openAiWork: OpenAiBatchWork;
  workStore: StatusStore;
  llm(): LlmUpstream;
  now(): Date;
}

const SEED_PAGE = 1000;
/** Blob-form batches (no files of ours to outlive) stay listable this long after they end. */
const BLOB_FORM_LISTABLE_MS = 30 * 24 * 3_600_000;
const VALIDATED = "validated.json";

/**
 * OpenAI / Azure OpenAI batches as a batch kind. Prepare streams the input file through
 * validation (the batch fails with every problem found, by line) and lists one item per request
 * line, keeping where its bytes are. Processing one sends its body unchanged to the upstream
 * and records the answer in the batch's work parts. Finalize assembles the output and error
 * files from the parts, one part in memory at a time, in line order, keeping for each line the
 * result that matches its settled status.
 */
export function createOpenAiBatchKind(services: () => OpenAiBatchKindServices): BatchKind {
  return {
    name: OPENAI_BATCH_KIND,
    // An activity's lines go to the upstream side by side; the rate budget spaces them.
    itemsPerActivity: 8,
    // Lines wait in the app-wide rate budget; the host's function timeout is 30 minutes.
    itemTimeoutMs: 25 * 60_000,
    listItems: (batch, options) => listRequestLines(batch, services(), options.signal),
    processItem: (batch, item, options) => runRequestLine(batch, item, services(), options.signal),
    findMissingResults: (batch, succeeded) => linesWithoutOutput(batch, succeeded, services()),
    // A line answered before a crash (its answer recorded, its outcome not yet) is not sent again.
    recordedResults: (batch, indexes) => answeredBefore(batch, indexes, services().openAiWork),
    finalize: (batch) => assembleResultFiles(batch, services()),
    purge: (batch) => services().openAiWork.purge(batch.batchId),
    keepsBatch: (batch) => stillListable(batch, services()),
    finalEvent: openAiBatchEvent,
  };
}

/** The file ids of a batch's output and error files: fixed by the batch, so a re-run of finalize rewrites the same files. */
export function resultFileIds(batch: Pick<BatchRecord, "batchId" | "createdAt" | "milestones">): { output: string; error: string } {
  const at = Date.parse(batch.milestones?.finalizingAt ?? batch.createdAt);
  const id = (file: string) => newFileId(at).slice(0, 14) + createHash("sha256").update(`${batch.batchId}:${file}`).digest("hex").slice(0, 18);
  return { output: id("output"), error: id("error") };
}

export async function readValidatedInput(work: OpenAiBatchWork, batchId: string): Promise<ValidatedInput | undefined> {
  return work.readJson<ValidatedInput>(batchId, VALIDATED);
}

async function* listRequestLines(batch: BatchRecord, services: OpenAiBatchKindServices, signal: AbortSignal | undefined): AsyncIterable<ItemSeed[]> {
  const spec = openAiSpecOf(batch);
  const llm = services.llm();
  const input = batchInputReader(spec.input, { ...services, files: services.openAiFiles });
  const limits = inputLimitsOf(spec, services.settings.openAiBatches);
  // Limits first, by counting alone: a file over them fails before a single row is written.
  const counted = await input.open(signal);
  const overLimit = await inputLimitProblem(counted.stream, limits);
  if (overLimit) throw validationFailure([overLimit]);
  const { stream, version } = await input.open(signal, counted.version);
  const report: InputReport = { problems: [], tasks: 0 };
  // Lines are recorded as they pass; a problem further on fails the batch (its rows go with its purge).
  let page: ItemSeed[] = [];
  for await (const task of validatedTasks(stream, { endpoint: spec.endpoint, maxLines: limits.maxLines, serves: (model) => llm.serves(model) }, report)) {
    page.push({ name: task.customId, data: task.text ?? `${task.offset}:${task.length}` });
    if (page.length >= SEED_PAGE) {
      yield page;
      page = [];
    }
  }
  if (report.problems.length > 0) throw validationFailure(report.problems);
  await services.openAiWork.writeJson(batch.batchId, VALIDATED, { model: report.model!, lines: report.tasks, ...(version ? { version } : {}) } satisfies ValidatedInput & { version?: string });
  if (page.length > 0) yield page;
}

/**
 * The limits of a batch's input: the documented per-file request limit of the route it was created
 * on (batches from before routes were recorded: Azure's), capped by the operator's setting.
 */
export function inputLimitsOf(spec: Pick<OpenAiBatchSpec, "route">, settings: Pick<DocbatchSettings["openAiBatches"], "maxLines" | "maxFileBytes">): InputLimits {
  return { maxLines: Math.min(ROUTE_MAX_LINES[spec.route ?? "azure"], settings.maxLines), maxBytes: settings.maxFileBytes };
}

/** A line's request: kept with its item when small, else read from the input by its byte range. */
async function requestText(batch: BatchRecord, spec: OpenAiBatchSpec, item: ItemRecord, services: OpenAiBatchKindServices): Promise<string> {
  const data = item.data ?? "";
  if (data.startsWith("{")) return data;
  const [offset, length] = data.split(":").map(Number);
  // Blob inputs are read at the version validation saw; our own files never change.
  const version = "fileId" in spec.input ? undefined : await inputVersion(batch.batchId, services.openAiWork);
  const bytes = await batchInputReader(spec.input, { ...services, files: services.openAiFiles }).readRange(offset, length, version);
  return bytes.toString("utf8");
}

const inputVersions = new Map<string, string | undefined>();

async function inputVersion(batchId: string, work: OpenAiBatchWork): Promise<string | undefined> {
  if (!inputVersions.has(batchId)) {
    if (inputVersions.size >= 256) inputVersions.delete(inputVersions.keys().next().value!);
    inputVersions.set(batchId, (await work.readJson<{ version?: string }>(batchId, VALIDATED))?.version);
  }
  return inputVersions.get(batchId);
}

function validationFailure(problems: InputProblem[]): ItemError {
  const first = problems[0];
  return new ItemError(first.code, first.message, { details: { errors: problems } });
}

async function runRequestLine(batch: BatchRecord, item: ItemRecord, services: OpenAiBatchKindServices, signal: AbortSignal): Promise<ItemResult> {
  const spec = openAiSpecOf(batch);
  const record = (file: ResultFileKind, response: LineResponse | null, error: { code: string; message: string } | null) =>
    services.openAiWork.appendResult(batch.batchId, item.index, file, resultLine({ batchId: batch.batchId, index: item.index, customId: item.name, response, error }));
  const fail = async (code: string, message: string, response: LineResponse | null = null): Promise<never> => {
    await record("error", response, response ? null : { code, message });
    throw new ItemError(code, message);
  };

  const expiring = services.settings.openAiBatches.onExpiry === "expire";
  const untilExpiry = spec.expiresAt * 1000 - services.now().getTime();
  if (expiring && untilExpiry <= 0) return fail("batch_expired", "This request could not be executed before the completion window expired.");

  const request = JSON.parse(await requestText(batch, spec, item, services)) as { body: Record<string, unknown> };
  const path = upstreamPathOf(spec.endpoint) as LlmPath;
  if (!LLM_PATHS.includes(path)) return fail("invalid_request", `docbatch does not run ${spec.endpoint} requests.`);

  const expiry = expiring ? AbortSignal.timeout(Math.min(untilExpiry, 2 ** 31 - 1)) : undefined;
  let answer;
  try {
    answer = await services.llm().send({ path, body: request.body, signal: expiry ? AbortSignal.any([signal, expiry]) : signal });
  } catch (error) {
    if (expiry?.aborted && !signal.aborted) return fail("batch_expired", "This request could not be executed before the completion window expired.");
    if (signal.aborted) throw error;
    if (error instanceof UpstreamUnavailableError) {
      const { status, body, requestId } = error.details;
      return fail(error.reason === "throttled" ? "rate_limit_exceeded" : "upstream_unavailable", error.message, status !== undefined ? { status_code: status, request_id: requestId ?? "", body } : null);
    }
    if (error instanceof Error && /No LLM upstream serves model/.test(error.message)) return fail("model_not_found", error.message);
    throw error;
  }
  const response: LineResponse = { status_code: answer.status, request_id: answer.requestId, body: answer.body };
  if (answer.status < 200 || answer.status >= 300) {
    const upstreamError = (answer.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof upstreamError?.code === "string" ? upstreamError.code : `http_${answer.status}`;
    const message = typeof upstreamError?.message === "string" ? upstreamError.message : `The upstream answered ${answer.status}.`;
    return fail(code, message, response);
  }
  await record("output", response, null);
  return succeeded(answer.usage);
}

function succeeded(usage: TokenUsage | undefined): ItemResult {
  return {
    status: "succeeded",
    ...(usage
      ? { metrics: { inputTokens: usage.inputTokens, cachedTokens: usage.cachedTokens, outputTokens: usage.outputTokens, reasoningTokens: usage.reasoningTokens, totalTokens: usage.totalTokens } }
      : {}),
  };
}

/** Parts read at once by the result check. */
const PARTS_READ_AT_ONCE = 4;

/**
 * The result check before finalize: succeeded lines with no output record in their part. Records
 * are appended to a part as each line settles, so storage that lost an append (a rollback, a
 * lost write) leaves a line counted succeeded whose answer finalize cannot find: it would be in
 * neither file, or in the error file as lost. Such lines are run again. Each part holding a
 * succeeded line is read once: a request per LINES_PER_PART lines, the reads finalize makes too.
 */
async function linesWithoutOutput(batch: BatchRecord, succeeded: AsyncIterable<ItemRecord[]>, services: OpenAiBatchKindServices): Promise<number[]> {
  const byPart = new Map<number, number[]>();
  for await (const page of succeeded) {
    for (const { index } of page) {
      const part = Math.floor(index / LINES_PER_PART);
      const indexes = byPart.get(part);
      if (indexes) indexes.push(index);
      else byPart.set(part, [index]);
    }
  }
  const limit = pLimit(PARTS_READ_AT_ONCE);
  const missing = await Promise.all(
    [...byPart].map(([part, indexes]) =>
      limit(async () => {
        const recorded = await services.openAiWork.readPart(batch.batchId, part);
        return indexes.filter((index) => !recorded.get(index)?.some((entry) => entry.file === "output"));
      }),
    ),
  );
  return missing.flat().sort((a, b) => a - b);
}

/**
 * The lines of `indexes` whose 2xx answer an earlier run recorded: they succeeded, with the usage
 * of that answer. Only the rare lines found are read back in full.
 */
async function answeredBefore(batch: BatchRecord, indexes: readonly number[], work: OpenAiBatchWork): Promise<Map<number, ItemResult>> {
  const answered = new Map<number, ItemResult>();
  const found = await work.outputsRecorded(batch.batchId, indexes);
  if (found.size === 0) return answered;
  const parts = new Set([...found].map((index) => Math.floor(index / LINES_PER_PART)));
  for (const part of parts) {
    const recorded = await work.readPart(batch.batchId, part);
    for (const index of found) {
      const line = recorded.get(index)?.findLast((entry) => entry.file === "output")?.line;
      if (line === undefined) continue;
      const response = (JSON.parse(line) as { response?: LineResponse | null }).response;
      answered.set(index, succeeded(readUsage(response?.body)));
    }
  }
  return answered;
}

/** Where finalize writes the two files: parts staged one at a time, committed in order at the end. */
interface ResultTargets {
  stage(file: ResultFileKind, blockId: string, content: Buffer): Promise<void>;
  commit(blocks: Record<ResultFileKind, string[]>): Promise<void>;
}

async function assembleResultFiles(batch: BatchRecord, services: OpenAiBatchKindServices): Promise<FinalizeResult> {
  const spec = openAiSpecOf(batch);
  const targets = resultTargets(batch, spec, services);
  const blocks = { output: [] as string[], error: [] as string[] };
  let expired = 0;
  const itemCount = batch.itemCount ?? 0;
  for (let part = 0; part * LINES_PER_PART < itemCount; part++) {
    const first = part * LINES_PER_PART;
    const recorded = await services.openAiWork.readPart(batch.batchId, part);
    const lines: Record<ResultFileKind, string[]> = { output: [], error: [] };
    for await (const item of services.workStore.listItemRange(batch.batchId, first, Math.min(LINES_PER_PART, itemCount - first))) {
      const chosen = resultOf(item, recorded.get(item.index) ?? [], batch.batchId);
      if (!chosen) continue;
      lines[chosen.file].push(chosen.line);
      if (item.error?.code === "batch_expired") expired++;
    }
    for (const file of ["output", "error"] as const) {
      if (lines[file].length === 0) continue;
      const blockId = Buffer.from(`part-${String(part).padStart(8, "0")}`).toString("base64");
      await targets.stage(file, blockId, Buffer.from(`${lines[file].join("\n")}\n`));
      blocks[file].push(blockId);
    }
  }
  await targets.commit(blocks);
  return expired > 0 && !batch.cancelRequested ? { status: "expired" } : {};
}

/** The line a settled item contributes: the last result recorded for its status, else one made from its error. */
function resultOf(item: ItemRecord, recorded: RecordedResult[], batchId: string): RecordedResult | undefined {
  const wanted: ResultFileKind | undefined = item.status === "succeeded" ? "output" : item.status === "failed" ? "error" : undefined;
  if (!wanted) return undefined; // canceled or never run: in neither file
  const match = recorded.findLast((entry) => entry.file === wanted);
  if (match) return match;
  const error = item.error ?? { code: "internal_error", message: "The request's result was lost; run it again." };
  return { file: "error", line: resultLine({ batchId, index: item.index, customId: item.name, response: null, error: { code: error.code, message: error.message } }) };
}

function resultTargets(batch: BatchRecord, spec: OpenAiBatchSpec, services: OpenAiBatchKindServices): ResultTargets {
  if (spec.output) {
    const { container, results, errors } = outputBlobs(spec.output, batch.batchId, services);
    const blobs = { output: container.getBlockBlobClient(results), error: container.getBlockBlobClient(errors) };
    return {
      stage: async (file, blockId, content) => void (await blobs[file].stageBlock(blockId, content, content.byteLength)),
      commit: async (blocks) =>
        void (await Promise.all((["output", "error"] as const).map((file) => blobs[file].commitBlockList(blocks[file], { blobHTTPHeaders: { blobContentType: "application/jsonl" } })))),
    };
  }
  const ids = resultFileIds(batch);
  const files: Record<ResultFileKind, FileAssembler> = { output: services.openAiFiles.assembler(ids.output), error: services.openAiFiles.assembler(ids.error) };
  const createdAt = Math.floor(services.now().getTime() / 1000);
  // OpenAI anchors output_expires_after at the file's creation, not the batch's: a batch that runs
  // longer than `seconds` must not end with its results already expired.
  const expiresAt = spec.outputExpiresAfterSeconds ? createdAt + spec.outputExpiresAfterSeconds : undefined;
  const describe = (file: ResultFileKind): StoredFile => ({
    id: ids[file],
    bytes: 0,
    createdAt,
    fileName: `${batch.batchId}_${file}.jsonl`,
    purpose: "batch_output",
    ...(expiresAt ? { expiresAt } : {}),
  });
  return {
    stage: (file, blockId, content) => files[file].stage(blockId, content),
    commit: async (blocks) => void (await Promise.all((["output", "error"] as const).map((file) => files[file].commit(blocks[file], describe(file))))),
  };
}

async function stillListable(batch: BatchRecord, services: OpenAiBatchKindServices): Promise<boolean> {
  const spec = openAiSpecOf(batch);
  if (spec.output || !("fileId" in spec.input)) {
    return services.now().getTime() - Date.parse(batch.completedAt ?? batch.updatedAt) < BLOB_FORM_LISTABLE_MS;
  }
  const ids = resultFileIds(batch);
  const files = [spec.input.fileId, ...(batch.status === "failed" ? [] : [ids.output, ids.error])];
  for (const id of files) if (await services.openAiFiles.get(id)) return true;
  return false;
}
