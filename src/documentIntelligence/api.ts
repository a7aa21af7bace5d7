import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import type { BatchServices } from "../batch/services.js";
import { isTransient } from "../shared/transientErrors.js";
import { isFinalBatchStatus } from "../batch/status.js";
import { isAcceptedKey, presentedKey } from "../http/apiKeys.js";
import { openContainer } from "../storage/containerAccess.js";
import { parseContainerUrl, StorageUrlError, type ContainerLocation } from "../storage/containerUrl.js";
import { listContainerDocuments, readFileList } from "../storage/sourceListing.js";
import type { BatchRecord } from "../storage/statusTable.js";
import { parseAnalyzeBatchRequest, requireApiVersion, type AnalyzeBatchRequest } from "./analyzeBatchRequest.js";
import { DiError, errorResponse } from "./errors.js";
import { detailOf, streamOperation, summarize } from "./operationView.js";
import { matchRoute, MODEL_ID_PATTERN, RESULT_ID_PATTERN, type DiOperation } from "./routes.js";

/** The parts of an HTTP request the API reads; `@azure/functions`' HttpRequest has them. */
export interface ApiRequest {
  method: string;
  url: string;
  headers: Headers;
  text(): Promise<string>;
}

/** Shaped like `@azure/functions`' HttpResponseInit. */
export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  jsonBody?: unknown;
  body?: AsyncIterable<Uint8Array> | string;
}

export interface BatchStarter {
  /** Starts the batch's orchestration (instance id = batch id). */
  startBatch(ref: { batchId: string; modelId: string }): Promise<void>;
}

export interface DocumentIntelligenceApiDeps {
  /** Built on first use from the app settings; invalid settings answer 500 instead of crashing. */
  services: () => BatchServices;
  orchestrations: BatchStarter;
  /** Where unexpected failures are reported (the invocation's error log). */
  logError?: (message: string, error: unknown) => void;
}

const POLL_AFTER_SECONDS = "1";

/**
 * Polls of big batches stream many detail pages (one per 1,000 documents): ask their callers to
 * poll less often, but keep 1 s up to 10,000 documents, where the poll's delay in noticing the
 * end would otherwise cost more than the poll itself.
 */
function pollAfterSeconds(documentCount: number | undefined): string {
  return String(Math.min(30, 1 + Math.floor((documentCount ?? 0) / 10_000)));
}
const DEFAULT_LIST_PAGE_SIZE = 50;
const MAX_LIST_PAGE_SIZE = 200;

/** Serves `/documentintelligence/{path}`: key check, routing, then the operation. */
export async function handleDocumentIntelligence(
  request: ApiRequest,
  path: string,
  deps: DocumentIntelligenceApiDeps,
): Promise<ApiResponse> {
  try {
    const services = deps.services();
    if (!isAcceptedKey(presentedKey(request.headers), services.settings.apiKeys)) throw DiError.unauthorized();
    const url = new URL(request.url);
    const match = matchRoute(request.method, path);
    if (!match.operation) {
      if (match.allowed.length > 0) {
        const message = `${request.method} is not supported here. Use ${match.allowed.join(" or ")}.`;
        throw new DiError(405, { code: "MethodNotAllowed", message }, { allow: match.allowed.join(", ") });
      }
      throw new DiError(404, { code: "NotFound", message: `No Document Intelligence operation at /documentintelligence/${path}.` });
    }
    const apiVersion = requireApiVersion(url.searchParams);
    return await perform(match.operation, { request, url, apiVersion, services, orchestrations: deps.orchestrations });
  } catch (error) {
    if (error instanceof DiError) return errorResponse(error);
    deps.logError?.(`${request.method} /documentintelligence/${path} failed`, error);
    return errorResponse(unexpected(error));
  }
}

/** Failures that are not the caller's: storage or the orchestration backend unreachable, or a bug. */
function unexpected(error: unknown): DiError {
  if (isTransient(error)) {
    return new DiError(
      503,
      { code: "ServiceUnavailable", message: "docbatch's storage is not answering right now. Retry the request after a short wait." },
      { "retry-after": "5" },
    );
  }
  return new DiError(500, { code: "InternalServerError", message: "An unexpected error occurred. Retry the request; if it keeps failing, check the app's logs." });
}

/** One authenticated, routed request and what serving it needs. */
interface OperationCall {
  request: ApiRequest;
  url: URL;
  apiVersion: string;
  services: BatchServices;
  orchestrations: BatchStarter;
}

async function perform(operation: DiOperation, call: OperationCall): Promise<ApiResponse> {
  const { url, apiVersion, services } = call;
  switch (operation.kind) {
    case "listModels":
      return { status: 200, jsonBody: { value: services.analyzers.list().map(({ modelId, description }) => ({ modelId, description, apiVersion })) } };
    case "getModel": {
      const analyzer = await resolveModel(operation.modelId, services);
      const model = analyzer.models.find((m) => m.modelId === operation.modelId);
      return { status: 200, jsonBody: { modelId: operation.modelId, description: model?.description ?? "", apiVersion } };
    }
    case "analyzeBatch":
      return startBatch(operation.modelId, call);
    case "getBatch":
      return getBatch(operation.modelId, operation.resultId, services);
    case "listBatches":
      return listBatches(operation.modelId, url, apiVersion, services);
    case "deleteBatch":
      return deleteBatch(operation.modelId, operation.resultId, services);
  }
}

async function resolveModel(modelId: string, services: BatchServices) {
  if (!MODEL_ID_PATTERN.test(modelId)) {
    throw DiError.invalidArgument("InvalidParameter", `modelId '${modelId}' must match ${MODEL_ID_PATTERN.source}.`, "modelId");
  }
  const analyzer = await services.analyzers.resolve(modelId);
  if (!analyzer) throw DiError.modelNotFound(modelId);
  return analyzer;
}

async function startBatch(modelId: string, { request, url, apiVersion, services, orchestrations }: OperationCall): Promise<ApiResponse> {
  const body = parseAnalyzeBatchRequest(url.searchParams, await request.text());
  await resolveModel(modelId, services);
  const sourceTarget = body.source.kind === "container" ? "azureBlobSource.containerUrl" : "azureBlobFileListSource.containerUrl";
  const source = locate(body.source.containerUrl, sourceTarget, services);
  const result = locate(body.resultContainerUrl, "resultContainerUrl", services);
  await refuseOversizedSource(body, source, services);

  const batchId = randomUUID();
  const now = services.now().toISOString();
  const batch: BatchRecord = {
    batchId,
    modelId,
    apiVersion,
    status: "notStarted",
    createdDateTime: now,
    lastUpdatedDateTime: now,
    source:
      body.source.kind === "container"
        ? { kind: "container", url: source.url, prefix: body.source.prefix }
        : { kind: "fileList", url: source.url, fileList: body.source.fileList },
    sealedSourceUrl: seal(source, body.source.containerUrl, services),
    resultUrl: result.url,
    sealedResultUrl: seal(result, body.resultContainerUrl, services),
    resultPrefix: body.resultPrefix,
    overwriteExisting: body.overwriteExisting,
    options: JSON.stringify(body.options),
    cancelRequested: false,
    deleted: false,
  };
  await services.statusTable.createBatch(batch);
  try {
    await orchestrations.startBatch({ batchId, modelId });
  } catch (error) {
    await services.statusTable.deleteBatch(modelId, batchId).catch(() => undefined);
    throw error;
  }
  const operationLocation = `${url.origin}/documentintelligence/documentModels/${encodeURIComponent(modelId)}/analyzeBatchResults/${batchId}?api-version=${apiVersion}`;
  return { status: 202, headers: { "operation-location": operationLocation, "retry-after": POLL_AFTER_SECONDS } };
}

function locate(raw: string, target: string, services: BatchServices): ContainerLocation {
  try {
    return parseContainerUrl(raw, services.urlPolicy, target);
  } catch (error) {
    if (error instanceof StorageUrlError) throw DiError.invalidArgument(error.code, error.message, target);
    throw error;
  }
}

function seal(location: ContainerLocation, raw: string, services: BatchServices): string | undefined {
  if (!location.sas) return undefined;
  if (!services.secrets) {
    throw new DiError(500, {
      code: "InternalServerError",
      message: "This deployment cannot accept SAS URLs: DOCBATCH_ENCRYPTION_KEY is not configured. Ask its operator to set it, or use URLs without SAS for allow-listed accounts.",
    });
  }
  return services.secrets.seal(raw);
}

/**
 * Counts the source up to one past the limit, so an oversized batch is refused with 400 before
 * it is accepted. Problems reaching the source are left to the batch itself, which then fails
 * with the storage error in its status, as the service does.
 */
async function refuseOversizedSource(body: AnalyzeBatchRequest, location: ContainerLocation, services: BatchServices): Promise<void> {
  const limit = services.settings.maxDocumentsPerBatch;
  let count = 0;
  try {
    const container = openContainer(location, services.storage);
    const pages = body.source.kind === "container" ? listContainerDocuments(container, body.source.prefix, { pageSize: 5000 }) : readFileList(container, body.source.fileList, { pageSize: 5000 });
    for await (const page of pages) {
      count += page.length;
      if (count > limit) break;
    }
  } catch {
    return;
  }
  if (count > limit) {
    throw DiError.invalidRequest(
      "TooManyDocuments",
      `The source holds more than ${limit} documents, the most one batch may analyze. Split it with prefixes or file lists.`,
      body.source.kind === "container" ? "azureBlobSource" : "azureBlobFileListSource",
    );
  }
}

function requireResultId(resultId: string): void {
  if (!RESULT_ID_PATTERN.test(resultId)) {
    throw DiError.invalidArgument("InvalidParameter", `resultId '${resultId}' must be the UUID from Operation-Location.`, "resultId");
  }
}

async function getBatch(modelId: string, resultId: string, services: BatchServices): Promise<ApiResponse> {
  requireResultId(resultId);
  const summary = await services.statusTable.getSummary(modelId, resultId);
  if (!summary || summary.batch.deleted) throw DiError.resultNotFound(resultId);
  const { batch, counts } = summary;
  const details = batch.documentCount === undefined ? undefined : mapPages(services.statusTable.listDocuments(batch.batchId), (document) => detailOf(batch, document));
  return {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", ...(isFinalBatchStatus(batch.status) ? {} : { "retry-after": pollAfterSeconds(batch.documentCount) }) },
    body: streamOperation(summarize(batch, counts), details),
  };
}

async function* mapPages<T, U>(pages: AsyncIterable<T[]>, map: (item: T) => U): AsyncIterable<U[]> {
  for await (const page of pages) yield page.map(map);
}

async function listBatches(modelId: string, url: URL, apiVersion: string, services: BatchServices): Promise<ApiResponse> {
  const requested = Number(url.searchParams.get("maxpagesize") ?? DEFAULT_LIST_PAGE_SIZE);
  if (!Number.isInteger(requested) || requested < 1) {
    throw DiError.invalidArgument("InvalidParameter", "maxpagesize must be a positive whole number.", "maxpagesize");
  }
  const maxPageSize = Math.min(requested, MAX_LIST_PAGE_SIZE);
  const page = await services.statusTable.listBatches(modelId, {
    maxPageSize,
    continuationToken: url.searchParams.get("continuationToken") ?? undefined,
  });
  const limit = pLimit(8);
  const value = await Promise.all(
    page.batches.map((batch) => limit(async () => summarize(batch, await services.statusTable.readCounts(batch.batchId)))),
  );
  const next = new URL(`${url.origin}/documentintelligence/documentModels/${encodeURIComponent(modelId)}/analyzeBatchResults`);
  next.searchParams.set("api-version", apiVersion);
  next.searchParams.set("maxpagesize", String(maxPageSize));
  if (page.continuationToken) next.searchParams.set("continuationToken", page.continuationToken);
  return { status: 200, jsonBody: { value, ...(page.continuationToken ? { nextLink: next.toString() } : {}) } };
}

/**
 * A running batch is canceled: documents not started become `canceled`, those in flight finish.
 * A finished batch's status disappears at once; its rows go with the next purge.
 */
async function deleteBatch(modelId: string, resultId: string, services: BatchServices): Promise<ApiResponse> {
  requireResultId(resultId);
  let alreadyDeleted = false;
  const updated = await services.statusTable.updateBatch(modelId, resultId, (batch) => {
    alreadyDeleted = batch.deleted ?? false;
    if (alreadyDeleted) return undefined;
    const now = services.now().toISOString();
    if (isFinalBatchStatus(batch.status)) return { deleted: true, completedDateTime: batch.completedDateTime ?? now };
    return { status: "canceled", cancelRequested: true, completedDateTime: now };
  });
  if (!updated || alreadyDeleted) throw DiError.resultNotFound(resultId);
  return { status: 204 };
}
