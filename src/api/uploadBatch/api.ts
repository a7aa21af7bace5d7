import pLimit from "p-limit";
import type { BatchRunner } from "../../engine/batches.js";
import type { BatchRecord, ItemRecord } from "../../engine/model.js";
import { isFinalBatchStatus } from "../../engine/statusRules.js";
import { UPLOAD_BATCH_KIND, uploadSpecOf, type UploadBatchSpec } from "../../kinds/uploadBatch/spec.js";
import type { AppServices } from "../../services/appServices.js";
import { requireApiKey } from "../http/apiKeyCheck.js";
import { readMultipartUpload } from "../http/multipart.js";
import { readTextBody } from "../http/requestBody.js";
import { serve } from "../http/serve.js";
import type { ApiRequest, ApiResponse } from "../http/types.js";
import { DocuDevsError, docuDevsErrors } from "./errors.js";
import { jobStatusOf, processingJob } from "./jobView.js";
import { parseUploadCommand } from "./uploadCommand.js";
import { resultsCsv } from "./resultsCsv.js";

export interface UploadBatchApiDeps {
  services: () => AppServices;
  runner: BatchRunner;
  logError?: (message: string, error: unknown) => void;
}

/** DocuDevs' default when create names none. */
export const DEFAULT_MAX_CONCURRENCY = 3;
const JSON_BODY_LIMIT_BYTES = 1024 * 1024;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESULT_READS_AT_ONCE = 16;

/**
 * Serves DocuDevs' upload-batch API (contracts §2): `/document/batch...` and `/job/...`.
 * `path` is the request's path without the leading slash.
 */
export function handleUploadBatch(request: ApiRequest, deps: UploadBatchApiDeps): Promise<ApiResponse> {
  const path = new URL(request.url).pathname;
  return serve(request, { errors: docuDevsErrors(path), logError: deps.logError }, async () => {
    const services = deps.services();
    requireApiKey(request.headers, services.settings.apiKeys);
    const segments = path.split("/").filter(Boolean).map(safeDecode);
    const method = request.method.toUpperCase();
    const query = new URL(request.url).searchParams;
    const api = new UploadBatchApi(services, deps.runner);
    // The job id's place: /document/batch/{guid}/..., /job/status|result/{guid}..., DELETE /job/{guid}.
    const guidAt = segments[0] === "document" || (segments[0] === "job" && segments.length > 2) ? 2 : segments[0] === "job" && segments[1] !== "list" ? 1 : -1;
    const guid = segments[guidAt] ?? "";
    const template = `/${segments.map((segment, i) => (i === guidAt ? "{guid}" : segment)).join("/")}`;
    const operations: Record<string, Record<string, () => Promise<ApiResponse>> | undefined> = {
      "/document/batch": { POST: () => api.create(request) },
      "/document/batch/{guid}/upload": { POST: () => api.upload(guid, request) },
      "/document/batch/{guid}/process": { POST: () => api.process(guid, request) },
      "/job/status/{guid}": { GET: () => api.status(guid) },
      "/job/result/{guid}": { GET: () => api.resultsJson(guid) },
      "/job/result/{guid}/json": { GET: () => api.resultsJson(guid) },
      "/job/result/{guid}/csv": { GET: () => api.resultsCsv(guid) },
      "/job/result/{guid}/source-locations": { GET: () => api.sourceLocations(guid, query) },
      "/job/list": { GET: () => api.list(query) },
      "/job/{guid}": { DELETE: () => api.delete(guid) },
    };
    const operation = Object.hasOwn(operations, template) ? operations[template] : undefined;
    if (operation?.[method]) return operation[method]();
    if (operation) {
      const allowed = Object.keys(operation).join(", ");
      throw new DocuDevsError(405, `${method} is not supported on ${path}; use ${allowed}.`, { allow: allowed });
    }
    throw new DocuDevsError(404, `${method} ${path} is not an operation of the upload-batch API.`);
  });
}

class UploadBatchApi {
  constructor(
    private readonly services: AppServices,
    private readonly runner: BatchRunner,
  ) {}

  private get limits() {
    return this.services.settings.uploadBatches;
  }

  private cappedConcurrency(asked: unknown): number {
    if (asked === undefined || asked === null) return Math.min(DEFAULT_MAX_CONCURRENCY, this.limits.maxConcurrency);
    if (typeof asked !== "number" || !Number.isInteger(asked) || asked < 1) throw DocuDevsError.badRequest("maxConcurrency must be a positive integer");
    return Math.min(asked, this.limits.maxConcurrency);
  }

  private async readJson(request: ApiRequest, what: string): Promise<Record<string, unknown>> {
    const text = await readTextBody(request, { limitBytes: JSON_BODY_LIMIT_BYTES });
    if (!text.trim()) return {};
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw DocuDevsError.badRequest(`the body is not valid JSON; send the ${what} as a JSON object`);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw DocuDevsError.badRequest(`the body must be a JSON object (${what})`);
    return body as Record<string, unknown>;
  }

  private async batch(guid: string): Promise<BatchRecord> {
    if (!GUID.test(guid)) throw DocuDevsError.notFound(guid);
    const batch = await this.services.store.getBatch(UPLOAD_BATCH_KIND, guid);
    if (!batch || batch.deleted) throw DocuDevsError.notFound(guid);
    return batch;
  }

  /** Uploads given an index: kept in the batch row from process on, counted from the slots before. */
  private async documents(batch: BatchRecord): Promise<number> {
    const spec = uploadSpecOf(batch);
    return spec.command ? spec.documents : (await this.services.store.countSlots(batch.batchId)).claimed;
  }

  async create(request: ApiRequest): Promise<ApiResponse> {
    const body = await this.readJson(request, "batch request");
    const maxConcurrency = this.cappedConcurrency(body.maxConcurrency);
    const spec: UploadBatchSpec = { documents: 0 };
    const batch = await this.services.batches(this.runner).create({ kind: UPLOAD_BATCH_KIND, spec: JSON.stringify(spec), maxConcurrency, start: false });
    return json({ jobGuid: batch.batchId, maxConcurrency });
  }

  async upload(guid: string, request: ApiRequest): Promise<ApiResponse> {
    const before = await this.batch(guid);
    refuseUploadTo(before);
    const uploads = this.services.uploads;
    const upload = await readMultipartUpload(request, {
      fileField: "document",
      limitBytes: this.limits.maxDocumentBytes + 1024 * 1024,
      fileLimitBytes: this.limits.maxDocumentBytes,
      onFile: (file) => uploads.stage(guid, file.stream, file.mimeType),
      discard: (stored) => uploads.discardStaged(stored.blobName),
    });
    if (!upload.file) throw DocuDevsError.badRequest("Send the document in a multipart form part named 'document'.");
    const staged = upload.file.stored;
    let index = -1;
    try {
      // Its own slot row, claimed by a conditional insert: the batch row is not rewritten per upload.
      const claim = await this.services.store.claimSlot(guid, { limit: this.limits.maxDocuments });
      if (claim.outcome === "sealed") throw uploadsClosed(guid, "PROCESSING");
      if (claim.outcome === "full") throw tooManyDocuments(guid, this.limits.maxDocuments);
      index = claim.index;
      await uploads.describe(guid, index, { fileName: upload.file.fileName || `document-${index}`, contentType: upload.file.mimeType, bytes: staged.bytes, blobName: staged.blobName });
    } catch (error) {
      if (index < 0) await uploads.discardStaged(staged.blobName).catch(() => undefined);
      throw error;
    }
    return json({ jobGuid: guid, index, totalDocuments: index + 1 });
  }

  async process(guid: string, request: ApiRequest): Promise<ApiResponse> {
    const body = await this.readJson(request, "UploadCommand");
    const options = parseUploadCommand(body);
    const batch = await this.batch(guid);
    if (batch.startedAt || isFinalBatchStatus(batch.status) || uploadSpecOf(batch).command) throw DocuDevsError.conflict(`Job '${guid}' is already being processed; create a new batch to process again.`);
    if ((await this.services.store.countSlots(guid)).claimed === 0) throw DocuDevsError.badRequest(`Job '${guid}' has no documents; upload at least one before processing.`);
    const maxConcurrency = options.maxConcurrency !== undefined ? this.cappedConcurrency(options.maxConcurrency) : batch.maxConcurrency;
    // The seal ends the uploads: an upload racing it is counted below it or refused. A process
    // retried after a crash here finds the same seal and the same count.
    const documents = await this.services.store.sealSlots(guid);
    let conflict = false;
    await this.services.store.updateBatch(UPLOAD_BATCH_KIND, guid, (current) => {
      const spec = uploadSpecOf(current);
      conflict = Boolean(current.startedAt || spec.command);
      if (conflict) return undefined;
      const command = {
        ...(options.prompt ? { prompt: options.prompt } : {}),
        ...(options.schema ? { schema: options.schema.jsonSchema } : {}),
        ocr: options.ocr,
        llm: options.llm,
        textOnly: options.textOnly,
        ...(options.pageRange ? { pageRange: options.pageRange } : {}),
      };
      return { spec: JSON.stringify({ ...spec, documents, command } satisfies UploadBatchSpec), ...(maxConcurrency ? { maxConcurrency } : {}) };
    });
    if (conflict) throw DocuDevsError.conflict(`Job '${guid}' is already being processed; create a new batch to process again.`);
    await this.services.batches(this.runner).start(UPLOAD_BATCH_KIND, guid);
    return json({ jobGuid: guid, maxConcurrency: maxConcurrency ?? DEFAULT_MAX_CONCURRENCY });
  }

  async status(guid: string): Promise<ApiResponse> {
    if (!GUID.test(guid)) throw DocuDevsError.notFound(guid);
    const summary = await this.services.batches(this.runner).summary(UPLOAD_BATCH_KIND, guid);
    if (!summary) throw DocuDevsError.notFound(guid);
    return json(processingJob(summary.batch, summary, await this.documents(summary.batch)));
  }

  /** One entry per upload, in upload order: the result, an error string, or null while pending. */
  private async results(guid: string): Promise<unknown[]> {
    const batch = await this.batch(guid);
    const total = await this.documents(batch);
    const results: unknown[] = new Array(total).fill(null);
    const limit = pLimit(RESULT_READS_AT_ONCE);
    const reads: Promise<void>[] = [];
    for await (const page of this.services.store.listItems(guid)) {
      for (const item of page) reads.push(limit(() => this.fillResult(guid, item, results)));
    }
    await Promise.all(reads);
    return results;
  }

  private async fillResult(guid: string, item: ItemRecord, results: unknown[]): Promise<void> {
    if (item.index >= results.length) return;
    if (item.status === "succeeded") results[item.index] = (await this.services.uploads.result(guid, item.index))?.result ?? null;
    else if (item.status === "failed" || item.status === "skipped") results[item.index] = `Error: ${item.error?.message ?? "the document failed"}`;
    else if (item.status === "canceled") results[item.index] = "Error: the batch was canceled before this document was processed";
  }

  async resultsJson(guid: string): Promise<ApiResponse> {
    return json(await this.results(guid));
  }

  async resultsCsv(guid: string): Promise<ApiResponse> {
    const csv = resultsCsv(await this.results(guid));
    return { status: 200, headers: { "content-type": "text/csv; charset=utf-8" }, body: csv };
  }

  async sourceLocations(guid: string, query: URLSearchParams): Promise<ApiResponse> {
    const batch = await this.batch(guid);
    const total = await this.documents(batch);
    const asked = query.get("batchIndex");
    if (asked !== null) {
      const index = Number(asked);
      if (!Number.isInteger(index) || index < 0 || index >= total) throw DocuDevsError.badRequest(`batchIndex must be an integer from 0 to ${total - 1}`);
      return json((await this.services.uploads.sourceLocations(guid, index)) ?? null);
    }
    const limit = pLimit(RESULT_READS_AT_ONCE);
    const all = await Promise.all(Array.from({ length: total }, (_, index) => limit(async () => (await this.services.uploads.sourceLocations(guid, index)) ?? null)));
    return json(all);
  }

  async list(query: URLSearchParams): Promise<ApiResponse> {
    const page = nonNegativeInt(query.get("page"), 0, "page");
    const size = nonNegativeInt(query.get("size"), 20, "size");
    if (size < 1 || size > 1000) throw DocuDevsError.badRequest("size must be from 1 to 1000");
    const status = query.get("status")?.toUpperCase();
    const matching: BatchRecord[] = [];
    let continuationToken: string | undefined;
    do {
      const listed = await this.services.store.listBatches(UPLOAD_BATCH_KIND, { maxPageSize: 1000, continuationToken });
      for (const batch of listed.batches) if (!status || jobStatusOf(batch) === status) matching.push(batch);
      continuationToken = listed.continuationToken;
    } while (continuationToken);
    const slice = matching.slice(page * size, page * size + size);
    const content = await Promise.all(
      slice.map(async (batch) => {
        const summary = await this.services.store.getSummary(UPLOAD_BATCH_KIND, batch.batchId);
        const current = summary?.batch ?? batch;
        return processingJob(current, summary, await this.documents(current));
      }),
    );
    const sort = { orderBy: [] };
    return json({
      content,
      pageable: { orderBy: [], number: page, size, mode: "OFFSET", sort },
      pageNumber: page,
      offset: page * size,
      size,
      empty: content.length === 0,
      numberOfElements: content.length,
      totalSize: matching.length,
      totalPages: Math.ceil(matching.length / size),
    });
  }

  async delete(guid: string): Promise<ApiResponse> {
    const batch = await this.batch(guid);
    if (batch.startedAt && !isFinalBatchStatus(batch.status)) {
      throw DocuDevsError.badRequest(`Job '${guid}' is still ${jobStatusOf(batch)}; delete it once it is COMPLETED or ERROR.`);
    }
    const batches = this.services.batches(this.runner);
    // A batch never processed is canceled first (final), then deleted; its uploads go with the purge.
    if (!isFinalBatchStatus(batch.status)) await batches.delete(UPLOAD_BATCH_KIND, guid);
    const outcome = await batches.delete(UPLOAD_BATCH_KIND, guid);
    if (outcome === "notFound") throw DocuDevsError.notFound(guid);
    return json({ jobsDeleted: 1, errors: [] });
  }
}

function refuseUploadTo(batch: BatchRecord): void {
  if (batch.startedAt || isFinalBatchStatus(batch.status) || uploadSpecOf(batch).command) throw uploadsClosed(batch.batchId, jobStatusOf(batch));
}

function uploadsClosed(guid: string, status: string): DocuDevsError {
  return DocuDevsError.conflict(`Job '${guid}' is already ${status}; uploads are accepted only before process.`);
}

function tooManyDocuments(guid: string, maxDocuments: number): DocuDevsError {
  return DocuDevsError.badRequest(`Job '${guid}' holds ${maxDocuments} documents, the most one batch may hold; process it and start another batch.`);
}

function nonNegativeInt(value: string | null, fallback: number, name: string): number {
  if (value === null || value === "") return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw DocuDevsError.badRequest(`${name} must be a non-negative integer`);
  return number;
}

function json(body: unknown, status = 200): ApiResponse {
  return { status, headers: { "content-type": "application/json" }, jsonBody: body };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
