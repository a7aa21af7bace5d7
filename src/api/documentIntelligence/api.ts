import pLimit from "p-limit";
import type { BatchRunner } from "../../engine/batches.js";
import type { BatchRecord } from "../../engine/model.js";
import { InvalidContinuationTokenError } from "../../engine/statusStore.js";
import { DOCUMENT_INTELLIGENCE_KIND, type DocumentIntelligenceSpec } from "../../kinds/documentIntelligence/spec.js";
import type { AppServices } from "../../services/appServices.js";
import { parseContainerUrl, StorageUrlError, type ContainerLocation } from "../../storage/containerUrl.js";
import { listContainerDocuments, readFileList } from "../../storage/sourceListing.js";
import { requireApiKey } from "../http/apiKeyCheck.js";
import { readTextBody } from "../http/requestBody.js";
import { serve } from "../http/serve.js";
import type { ApiRequest, ApiResponse } from "../http/types.js";
import { parseAnalyzeBatchRequest, requireApiVersion, type AnalyzeBatchRequest } from "./analyzeBatchRequest.js";
import { DiError, diErrors } from "./errors.js";
import { detailOf, isDone, streamOperation, summarize } from "./operationView.js";
import { openWhileCallerWaits, requireWritableResults, WHILE_CALLER_WAITS } from "./resultContainerCheck.js";
import { matchRoute, MODEL_ID_PATTERN, RESULT_ID_PATTERN, type DiOperation } from "./routes.js";

export type { ApiRequest, ApiResponse } from "../http/types.js";

export interface DocumentIntelligenceApiDeps {
  /** Built on first use from the app settings; invalid settings answer 500 instead of crashing. */
  services: () => AppServices;
  /** Starts a batch's orchestration (src/functions: the durable client). */
  runner: BatchRunner;
  /** Where unexpected failures are reported (the invocation's error log). */
  logError?: (message: string, error: unknown) => void;
}

const KIND = DOCUMENT_INTELLIGENCE_KIND;
const POLL_AFTER_SECONDS = "1";
/** An AnalyzeBatchDocumentsRequest is a few URLs: a megabyte is far more than any needs. */
const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

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
export function handleDocumentIntelligence(request: ApiRequest, path: string, deps: DocumentIntelligenceApiDeps): Promise<ApiResponse> {
  return serve(request, { errors: diErrors, logError: deps.logError }, async () => {
    const services = deps.services();
    requireApiKey(request.headers, services.settings.apiKeys);
    const url = new URL(request.url);
    const match = matchRoute(request.method, path);
    if (!match.operation) {
      if (match.problem) {
        const { status, code, message } = match.problem;
        throw status === 400 ? DiError.invalidRequest(code, message, "path") : new DiError(404, { code, message });
      }
      if (match.allowed.length > 0) {
        const message = `${request.method} is not supported here. Use ${match.allowed.join(" or ")}.`;
        throw new DiError(405, { code: "MethodNotAllowed", message }, { allow: match.allowed.join(", ") });
      }
      throw new DiError(404, { code: "NotFound", message: `No Document Intelligence operation at /documentintelligence/${path}.` });
    }
    const apiVersion = requireApiVersion(url.searchParams);
    return perform(match.operation, { request, url, apiVersion, services, runner: deps.runner });
  });
}

/** One authenticated, routed request and what serving it needs. */
interface OperationCall {
  request: ApiRequest;
  url: URL;
  apiVersion: string;
  services: AppServices;
  runner: BatchRunner;
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
      return deleteBatch(operation.modelId, operation.resultId, call);
  }
}

async function resolveModel(modelId: string, services: AppServices) {
  if (!MODEL_ID_PATTERN.test(modelId)) {
    throw DiError.invalidArgument("InvalidParameter", `modelId '${modelId}' must match ${MODEL_ID_PATTERN.source}.`, "modelId");
  }
  const analyzer = await services.analyzers.resolve(modelId);
  if (!analyzer) throw DiError.modelNotFound(modelId);
  return analyzer;
}

async function startBatch(modelId: string, { request, url, apiVersion, services, runner }: OperationCall): Promise<ApiResponse> {
  const body = parseAnalyzeBatchRequest(url.searchParams, await readTextBody(request, { limitBytes: MAX_REQUEST_BODY_BYTES }));
  await resolveModel(modelId, services);
  // The app's own tables first (once per process, then free): with its storage down the caller
  // gets 503 at once, before the checks of the source and result containers wait on it too.
  await services.store.ensureTables();
  const sourceTarget = body.source.kind === "container" ? "azureBlobSource.containerUrl" : "azureBlobFileListSource.containerUrl";
  const source = locate(body.source.containerUrl, sourceTarget, services);
  const result = locate(body.resultContainerUrl, "resultContainerUrl", services);
  await refuseOversizedSource(body, source, sourceTarget, services);
  await requireWritableResults(result, services);

  const spec: DocumentIntelligenceSpec = {
    modelId,
    apiVersion,
    source:
      body.source.kind === "container"
        ? { kind: "container", url: source.url, prefix: body.source.prefix }
        : { kind: "fileList", url: source.url, fileList: body.source.fileList },
    sealedSourceUrl: seal(source, body.source.containerUrl, services),
    resultUrl: result.url,
    sealedResultUrl: seal(result, body.resultContainerUrl, services),
    resultPrefix: body.resultPrefix,
    overwriteExisting: body.overwriteExisting,
    options: body.options,
  };
  const batch = await services.batches(runner).create({ kind: KIND, spec: JSON.stringify(spec), labels: { modelId } });
  const operationLocation = `${publicBase(url, services)}/documentintelligence/documentModels/${encodeURIComponent(modelId)}/analyzeBatchResults/${batch.batchId}?api-version=${apiVersion}`;
  return { status: 202, headers: { "operation-location": operationLocation, "retry-after": POLL_AFTER_SECONDS } };
}

/**
 * The base of the links handed out (Operation-Location, nextLink): the configured public URL,
 * never the request's Host header, which any caller can forge. Only a deployment with neither
 * DOCBATCH_PUBLIC_URL nor WEBSITE_HOSTNAME (not Azure, not the local hosts) falls back to it.
 */
function publicBase(url: URL, services: AppServices): string {
  return services.settings.publicUrl ?? url.origin;
}

function locate(raw: string, target: string, services: AppServices): ContainerLocation {
  try {
    return parseContainerUrl(raw, services.urlPolicy, target);
  } catch (error) {
    if (error instanceof StorageUrlError) throw DiError.invalidArgument(error.code, error.message, target);
    throw error;
  }
}

function seal(location: ContainerLocation, raw: string, services: AppServices): string | undefined {
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
 * it is accepted. Problems reaching the source (or a count that takes too long) are left to the
 * batch itself, which then fails with the storage error in its status, as the service does.
 */
async function refuseOversizedSource(body: AnalyzeBatchRequest, location: ContainerLocation, target: string, services: AppServices): Promise<void> {
  const limit = services.settings.maxDocumentsPerBatch;
  const container = openWhileCallerWaits(location, services, target);
  let count = 0;
  try {
    const listing = { pageSize: 5000, signal: AbortSignal.timeout(WHILE_CALLER_WAITS.countTimeoutMs) };
    const pages = body.source.kind === "container" ? listContainerDocuments(container, body.source.prefix, listing) : readFileList(container, body.source.fileList, listing);
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

/** The batch of this model: one missing, deleted or of another model is ResultNotFound. */
async function findBatch<T>(modelId: string, resultId: string, read: () => Promise<T | undefined>, batchOf: (found: T) => BatchRecord): Promise<T> {
  const found = await read();
  const batch = found === undefined ? undefined : batchOf(found);
  if (found === undefined || !batch || batch.deleted || batch.labels?.modelId !== modelId) throw DiError.resultNotFound(resultId);
  return found;
}

async function getBatch(modelId: string, resultId: string, services: AppServices): Promise<ApiResponse> {
  requireResultId(resultId);
  const { batch, counts } = await findBatch(modelId, resultId, () => services.store.getSummary(KIND, resultId), (found) => found.batch);
  const details = batch.itemCount === undefined ? undefined : mapPages(services.pollItems.listItems(batch.batchId, batch.itemCount), (document) => detailOf(batch, document));
  const summary = summarize(batch, counts);
  const done = summary.status === "succeeded" || summary.status === "failed" || summary.status === "canceled";
  // Documents still settling: the counts are read again after the details (see streamOperation).
  const recount = isDone(batch) ? undefined : async () => (await services.store.readCounts(batch.batchId)).counts;
  return {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", ...(done ? {} : { "retry-after": pollAfterSeconds(batch.itemCount) }) },
    body: streamOperation(batch, counts, details, recount),
  };
}

async function* mapPages<T, U>(pages: AsyncIterable<readonly T[]>, map: (item: T) => U): AsyncIterable<U[]> {
  for await (const page of pages) yield page.map(map);
}

async function listBatches(modelId: string, url: URL, apiVersion: string, services: AppServices): Promise<ApiResponse> {
  const requested = Number(url.searchParams.get("maxpagesize") ?? DEFAULT_LIST_PAGE_SIZE);
  if (!Number.isInteger(requested) || requested < 1) {
    throw DiError.invalidArgument("InvalidParameter", "maxpagesize must be a positive whole number.", "maxpagesize");
  }
  const maxPageSize = Math.min(requested, MAX_LIST_PAGE_SIZE);
  const page = await services.store
    .listBatches(KIND, { maxPageSize, labels: { modelId }, continuationToken: url.searchParams.get("continuationToken") ?? undefined })
    .catch((error: unknown) => {
      if (error instanceof InvalidContinuationTokenError) throw DiError.invalidArgument("InvalidParameter", error.message, "continuationToken");
      throw error;
    });
  const limit = pLimit(8);
  const value = await Promise.all(
    page.batches.map((batch) => limit(async () => summarize(batch, (await services.store.readCounts(batch.batchId)).counts))),
  );
  const next = new URL(`${publicBase(url, services)}/documentintelligence/documentModels/${encodeURIComponent(modelId)}/analyzeBatchResults`);
  next.searchParams.set("api-version", apiVersion);
  next.searchParams.set("maxpagesize", String(maxPageSize));
  if (page.continuationToken) next.searchParams.set("continuationToken", page.continuationToken);
  return { status: 200, jsonBody: { value, ...(page.continuationToken ? { nextLink: next.toString() } : {}) } };
}

/**
 * A running batch is canceled: documents not started become `canceled`, those in flight finish.
 * A finished batch's status disappears at once; its rows go with the next purge.
 */
async function deleteBatch(modelId: string, resultId: string, { services, runner }: OperationCall): Promise<ApiResponse> {
  requireResultId(resultId);
  await findBatch(modelId, resultId, () => services.store.getBatch(KIND, resultId), (found) => found);
  const outcome = await services.batches(runner).delete(KIND, resultId);
  if (outcome === "notFound") throw DiError.resultNotFound(resultId);
  return { status: 204 };
}
