import { LRUCache } from "lru-cache";
import pLimit from "p-limit";
import { compactBatchId } from "../../engine/batchIds.js";
import type { BatchRunner } from "../../engine/batches.js";
import type { BatchSummary } from "../../engine/model.js";
import { BATCH_ENDPOINTS, SERVED_UPSTREAM_PATHS } from "../../kinds/openai/inputValidation.js";
import { readValidatedInput } from "../../kinds/openai/kind.js";
import type { OpenAiRoute } from "../../kinds/openai/inputValidation.js";
import { OPENAI_BATCH_KIND, upstreamPathOf, type OpenAiBatchInput, type OpenAiBatchOutputFolder, type OpenAiBatchSpec } from "../../kinds/openai/spec.js";
import type { AppServices } from "../../services/appServices.js";
import { blobUrl, parseBlobUrl, StorageUrlError, type BlobLocation } from "../../storage/containerUrl.js";
import type { ApiRequest, ApiResponse } from "../http/types.js";
import { batchObject, openAiStatusOf } from "./batchView.js";
import { OpenAiError } from "./errors.js";
import { readJsonObject } from "./jsonBody.js";
import { visibleFile, type FilesDeps } from "./files.js";

const COMPLETION_WINDOW_SECONDS = 24 * 3600;
const MIN_OUTPUT_EXPIRY_SECONDS = 3600;
const MAX_OUTPUT_EXPIRY_SECONDS = 30 * 24 * 3600;
const METADATA_PAIRS = 16;
const METADATA_KEY_CHARS = 64;
const METADATA_VALUE_CHARS = 512;
const DEFAULT_LIST_LIMIT = 20;
const MAX_LIST_LIMIT = 100;
const BATCH_ID = /^batch_[0-9a-f]{32}$/;
const SUMMARIES_AT_ONCE = 8;

/** Models of validated batches: written once by validation, never changed. */
const models = new LRUCache<string, string>({ max: 10_000 });

export interface BatchesDeps {
  services: AppServices;
  runner: BatchRunner;
  files: FilesDeps;
}

function json(body: unknown, status = 200): ApiResponse {
  return { status, headers: { "content-type": "application/json" }, jsonBody: body };
}

function invalid(message: string, param: string, code: string = "invalid_value"): OpenAiError {
  return new OpenAiError(400, message, { param, code });
}

function notFound(id: string): OpenAiError {
  return new OpenAiError(404, `No such Batch object: ${id.slice(0, 80)}`, { param: "batch_id", code: "batch_not_found" });
}

/** `POST /batches` (also Azure's `/deployments/{deployment}/batches`). */
export async function createBatch(request: ApiRequest, deps: BatchesDeps): Promise<ApiResponse> {
  const body = await readJsonObject(request);
  const { services } = deps;
  const endpoint = body.endpoint;
  if (endpoint === undefined || endpoint === null) throw invalid("Missing required parameter: 'endpoint'.", "endpoint", "missing_required_parameter");
  if (typeof endpoint !== "string" || !SERVED_UPSTREAM_PATHS.has(upstreamPathOf(endpoint)) || !/^\/(v1\/)?[a-z/]+$/.test(endpoint)) {
    throw invalid(`'endpoint' must be one of ${BATCH_ENDPOINTS.join(", ")} (Azure also writes them without /v1).`, "endpoint");
  }
  if (body.completion_window === undefined) throw invalid("Missing required parameter: 'completion_window'.", "completion_window", "missing_required_parameter");
  if (body.completion_window !== "24h") throw invalid("'completion_window' must be '24h', the only window supported.", "completion_window");

  const { input, output } = await inputAndOutput(body, deps);
  const metadata = metadataOf(body.metadata, "blobUrl" in input);
  const outputExpiresAfterSeconds = outputExpiryOf(body.output_expires_after);

  const nowMs = services.now().getTime();
  const createdAt = Math.floor(nowMs / 1000);
  const spec: OpenAiBatchSpec = {
    endpoint,
    completionWindow: "24h",
    route: routeOf(request),
    createdAt,
    expiresAt: createdAt + COMPLETION_WINDOW_SECONDS,
    input,
    ...(output ? { output } : {}),
    ...(metadata ? { metadata } : {}),
    ...(outputExpiresAfterSeconds ? { outputExpiresAfterSeconds } : {}),
  };
  const batch = await services.batches(deps.runner).create({
    kind: OPENAI_BATCH_KIND,
    batchId: compactBatchId("batch_", new Date(nowMs)),
    spec: JSON.stringify(spec),
  });
  return json(batchObject({ batch, counts: { succeeded: 0, failed: 0, skipped: 0, canceled: 0 }, metrics: {} }, null));
}

/** Azure's door (`/openai/...`) or OpenAI's (`/v1/...`): their documented limits differ. */
function routeOf(request: ApiRequest): OpenAiRoute {
  return new URL(request.url).pathname.startsWith("/openai/") ? "azure" : "openai";
}

async function inputAndOutput(body: Record<string, unknown>, deps: BatchesDeps): Promise<{ input: OpenAiBatchInput; output?: OpenAiBatchOutputFolder }> {
  const fileId = body.input_file_id;
  if (fileId !== undefined && fileId !== null) {
    if (body.input_blob !== undefined && body.input_blob !== null) throw invalid("Give either 'input_file_id' or 'input_blob', not both.", "input_blob");
    if (typeof fileId !== "string") throw invalid("'input_file_id' must be a string: the id of a file uploaded with purpose 'batch'.", "input_file_id");
    const file = await visibleFile(fileId, deps.files);
    if (!file) throw new OpenAiError(404, `No such File object: ${fileId.slice(0, 80)}`, { param: "input_file_id", code: "file_not_found" });
    if (file.purpose !== "batch") throw invalid(`File ${fileId} has purpose '${file.purpose}'; a batch input file must be uploaded with purpose 'batch'.`, "input_file_id");
    if (body.output_folder !== undefined && body.output_folder !== null) throw invalid("'output_folder' goes with 'input_blob'; with 'input_file_id' the results are files.", "output_folder");
    return { input: { fileId } };
  }
  const inputBlob = body.input_blob;
  if (inputBlob === undefined || inputBlob === null) {
    throw invalid("Missing required parameter: 'input_file_id' (or Azure's 'input_blob' with 'output_folder').", "input_file_id", "missing_required_parameter");
  }
  if (typeof inputBlob !== "string") throw invalid("'input_blob' must be the URL of a blob.", "input_blob");
  const folder = body.output_folder as { url?: unknown } | undefined | null;
  if (!folder || typeof folder !== "object" || typeof folder.url !== "string") {
    throw invalid("With 'input_blob', give 'output_folder': { \"url\": \"<container or folder URL>\" } for the results.", "output_folder", "missing_required_parameter");
  }
  const inputLocation = locate(inputBlob, "input_blob", "blob", deps.services);
  const outputLocation = locate(folder.url, "output_folder.url", "folder", deps.services);
  return {
    input: { blobUrl: blobUrl(inputLocation.container, inputLocation.path), ...sealed("sealedBlobUrl", inputLocation, inputBlob, deps.services) },
    output: {
      folderUrl: outputLocation.path ? blobUrl(outputLocation.container, outputLocation.path) : outputLocation.container.url,
      ...sealed("sealedFolderUrl", outputLocation, folder.url, deps.services),
    },
  };
}

function locate(raw: string, param: string, kind: "blob" | "folder", services: AppServices): BlobLocation {
  try {
    return parseBlobUrl(raw, services.urlPolicy, param, kind);
  } catch (error) {
    if (error instanceof StorageUrlError) throw invalid(error.message, param, error.code);
    throw error;
  }
}

function sealed<K extends string>(key: K, location: BlobLocation, raw: string, services: AppServices): Partial<Record<K, string>> {
  if (!location.container.sas) return {};
  if (!services.secrets) {
    throw new OpenAiError(400, "This deployment cannot accept SAS URLs: DOCBATCH_ENCRYPTION_KEY is not configured. Ask its operator to set it, or use URLs without SAS for allow-listed accounts.", {
      code: "sas_not_accepted",
    });
  }
  return { [key]: services.secrets.seal(raw) } as Partial<Record<K, string>>;
}

function metadataOf(value: unknown, blobForm: boolean): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (blobForm) throw invalid("'metadata' is not supported with 'input_blob' (as on Azure); leave it out.", "metadata");
  if (typeof value !== "object" || Array.isArray(value)) throw invalid("'metadata' must be an object of string values.", "metadata");
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > METADATA_PAIRS) throw invalid(`'metadata' may have at most ${METADATA_PAIRS} keys; it has ${entries.length}.`, "metadata");
  for (const [key, inner] of entries) {
    if (key.length > METADATA_KEY_CHARS) throw invalid(`metadata key '${key.slice(0, 70)}…' is longer than ${METADATA_KEY_CHARS} characters.`, "metadata");
    if (typeof inner !== "string") throw invalid(`metadata['${key}'] must be a string.`, "metadata");
    if (inner.length > METADATA_VALUE_CHARS) throw invalid(`metadata['${key}'] is longer than ${METADATA_VALUE_CHARS} characters.`, "metadata");
  }
  return value as Record<string, string>;
}

function outputExpiryOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const { anchor, seconds } = (value ?? {}) as { anchor?: unknown; seconds?: unknown };
  if (typeof value !== "object" || anchor !== "created_at") throw invalid("output_expires_after.anchor must be 'created_at'.", "output_expires_after.anchor");
  if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < MIN_OUTPUT_EXPIRY_SECONDS || seconds > MAX_OUTPUT_EXPIRY_SECONDS) {
    throw invalid(`output_expires_after.seconds must be an integer from ${MIN_OUTPUT_EXPIRY_SECONDS} to ${MAX_OUTPUT_EXPIRY_SECONDS}.`, "output_expires_after.seconds");
  }
  return seconds;
}

async function summaryOf(batchId: string, services: AppServices): Promise<BatchSummary> {
  if (!BATCH_ID.test(batchId)) throw notFound(batchId);
  const summary = await services.store.getSummary(OPENAI_BATCH_KIND, batchId);
  if (!summary || summary.batch.deleted) throw notFound(batchId);
  return summary;
}

async function modelOf(summary: BatchSummary, services: AppServices): Promise<string | null> {
  if (openAiStatusOf(summary.batch) === "validating") return null;
  const id = summary.batch.batchId;
  let model = models.get(id);
  if (model === undefined) {
    model = (await readValidatedInput(services.openAiWork, id))?.model;
    if (model !== undefined) models.set(id, model);
  }
  return model ?? null;
}

async function view(summary: BatchSummary, services: AppServices): Promise<Record<string, unknown>> {
  return batchObject(summary, await modelOf(summary, services));
}

export async function retrieveBatch(batchId: string, deps: BatchesDeps): Promise<ApiResponse> {
  return json(await view(await summaryOf(batchId, deps.services), deps.services));
}

/** `POST /batches/{id}/cancel`: lines not started are dropped, those in flight finish, the files hold what was done. */
export async function cancelBatch(batchId: string, deps: BatchesDeps): Promise<ApiResponse> {
  const before = await summaryOf(batchId, deps.services);
  const status = openAiStatusOf(before.batch);
  if (status === "cancelled" || status === "cancelling") return json(await view(before, deps.services));
  if (status === "completed" || status === "failed" || status === "expired") {
    throw new OpenAiError(409, `Cannot cancel a batch with status '${status}'.`, { code: "batch_not_cancellable" });
  }
  await deps.services.batches(deps.runner).requestCancel(OPENAI_BATCH_KIND, batchId);
  return json(await view(await summaryOf(batchId, deps.services), deps.services));
}

/** `GET /batches?limit&after`: newest first; `after` is the id of the previous page's last batch. */
export async function listBatches(query: URLSearchParams, deps: BatchesDeps): Promise<ApiResponse> {
  const limitText = query.get("limit");
  const limit = limitText === null ? DEFAULT_LIST_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw invalid(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}.`, "limit");
  const after = query.get("after") ?? undefined;
  if (after !== undefined && !BATCH_ID.test(after)) throw invalid("after must be the id of a batch from the previous page.", "after");
  const { services } = deps;
  // One more than asked tells whether there is a next page.
  const page = await services.store.listBatches(OPENAI_BATCH_KIND, { maxPageSize: limit + 1, ...(after ? { after } : {}) });
  const batches = page.batches.slice(0, limit);
  const atOnce = pLimit(SUMMARIES_AT_ONCE);
  const data = (
    await Promise.all(
      batches.map((batch) =>
        atOnce(async () => {
          const summary = await services.store.getSummary(OPENAI_BATCH_KIND, batch.batchId);
          return summary && !summary.batch.deleted ? view(summary, services) : undefined;
        }),
      ),
    )
  ).filter((entry): entry is Record<string, unknown> => entry !== undefined);
  return json({
    object: "list",
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data.at(-1)?.id as string | undefined) ?? null,
    has_more: page.batches.length > limit || page.continuationToken !== undefined,
  });
}
