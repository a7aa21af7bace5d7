import { createHash } from "node:crypto";
import { isUploadExpired, UploadStateError, type OpenAiUploadStore, type StoredPart, type StoredUpload } from "../../storage/openAiUploadStore.js";
import type { StoredFile } from "../../storage/openAiFileStore.js";
import { readMultipartUpload } from "../http/multipart.js";
import type { ApiRequest, ApiResponse } from "../http/types.js";
import { OpenAiError } from "./errors.js";
import { fileObject, UPLOAD_PURPOSES } from "./files.js";
import { readJsonObject } from "./jsonBody.js";

/** OpenAI's limits: a part is at most 64 MB; an upload lives one hour. */
export const MAX_PART_BYTES = 64 * 1024 * 1024;
export const UPLOAD_LIFETIME_SECONDS = 3600;
const MIN_FILE_EXPIRY_SECONDS = 3600;
const MAX_FILE_EXPIRY_SECONDS = 30 * 24 * 3600;
const MAX_FILENAME_CHARS = 512;
const MAX_PART_IDS = 10_000;
const MD5_HEX = /^[0-9a-fA-F]{32}$/;

export interface UploadsDeps {
  uploads: OpenAiUploadStore;
  /** Largest File an upload may become (DOCBATCH_OPENAI_MAX_FILE_BYTES). */
  maxFileBytes: number;
  nowMs(): number;
}

/** The Upload object; `file` only once completed. */
function uploadObject(upload: StoredUpload, nowMs: number, file?: StoredFile): Record<string, unknown> {
  const expired = upload.status === "pending" && isUploadExpired(upload, nowMs);
  return {
    id: upload.id,
    object: "upload",
    bytes: upload.bytes,
    created_at: upload.createdAt,
    filename: upload.fileName,
    purpose: upload.purpose,
    status: expired ? "expired" : upload.status,
    expires_at: upload.expiresAt,
    file: file ? fileObject(file) : null,
  };
}

function json(body: unknown): ApiResponse {
  return { status: 200, headers: { "content-type": "application/json" }, jsonBody: body };
}

function invalid(message: string, param: string | null, code = "invalid_value"): OpenAiError {
  return new OpenAiError(400, message, { param, code });
}

function notFound(id: string): OpenAiError {
  return new OpenAiError(404, `No such Upload object: ${id.slice(0, 80)}`, { param: "upload_id", code: "upload_not_found" });
}

/** What a refused state change means to the caller, in OpenAI's words. */
function stateError(error: unknown, uploadId: string): unknown {
  if (!(error instanceof UploadStateError)) return error;
  if (error.reason === "notFound") return notFound(uploadId);
  if (error.reason === "expired") return invalid(`Upload ${uploadId} expired an hour after it was created; create a new Upload.`, null, "upload_expired");
  if (error.reason === "emptyPart") return invalid("The part in 'data' is empty; send at least one byte per part.", "data", "empty_part");
  if (error.reason === "tooManyBytes") {
    return invalid(`The parts of Upload ${uploadId} would add up to more than ${error.upload!.bytes} bytes (its size) plus one part; complete it with the parts you need or cancel it.`, "data", "upload_too_large");
  }
  return invalid(`Upload ${uploadId} is already ${error.upload!.status}; only a pending Upload can be changed.`, null, "upload_not_pending");
}

/** `POST /uploads`: `{ bytes, filename, mime_type, purpose, expires_after? }`. */
export async function createUpload(request: ApiRequest, deps: UploadsDeps): Promise<ApiResponse> {
  const body = await readJsonObject(request);
  for (const name of ["bytes", "filename", "mime_type", "purpose"]) {
    if (body[name] === undefined || body[name] === null) throw invalid(`Missing required parameter: '${name}'.`, name, "missing_required_parameter");
  }
  const { bytes, filename, mime_type: mimeType, purpose } = body;
  if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes < 1) throw invalid("'bytes' must be a positive integer: the size of the whole file.", "bytes");
  if (bytes > deps.maxFileBytes) {
    throw invalid(`'bytes' is ${bytes}; this service accepts files of at most ${deps.maxFileBytes} bytes.`, "bytes", "file_too_large");
  }
  if (typeof filename !== "string" || !filename.trim() || filename.length > MAX_FILENAME_CHARS) {
    throw invalid(`'filename' must be a non-empty string of at most ${MAX_FILENAME_CHARS} characters.`, "filename");
  }
  if (typeof mimeType !== "string" || !/^[\w.+-]+\/[\w.+-]+$/.test(mimeType)) throw invalid("'mime_type' must be a MIME type such as 'application/jsonl'.", "mime_type");
  if (typeof purpose !== "string" || !UPLOAD_PURPOSES.has(purpose)) {
    throw invalid(`'${String(purpose).slice(0, 64)}' is not a valid purpose. Use one of: ${[...UPLOAD_PURPOSES].join(", ")}.`, "purpose");
  }
  const fileExpiresAfterSeconds = fileExpiryOf(body.expires_after);
  const nowMs = deps.nowMs();
  const createdAt = Math.floor(nowMs / 1000);
  const upload = await deps.uploads.create(
    {
      bytes,
      fileName: filename,
      mimeType,
      purpose,
      createdAt,
      expiresAt: createdAt + UPLOAD_LIFETIME_SECONDS,
      ...(fileExpiresAfterSeconds !== undefined ? { fileExpiresAfterSeconds } : {}),
    },
    nowMs,
  );
  return json(uploadObject(upload, nowMs));
}

function fileExpiryOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const policy = value as { anchor?: unknown; seconds?: unknown };
  if (typeof value !== "object" || policy.anchor !== "created_at") throw invalid("expires_after.anchor must be 'created_at'.", "expires_after.anchor");
  const seconds = policy.seconds;
  if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < MIN_FILE_EXPIRY_SECONDS || seconds > MAX_FILE_EXPIRY_SECONDS) {
    throw invalid(`expires_after.seconds must be an integer from ${MIN_FILE_EXPIRY_SECONDS} to ${MAX_FILE_EXPIRY_SECONDS}.`, "expires_after.seconds");
  }
  return seconds;
}

/** `POST /uploads/{id}/parts`: multipart field `data`, at most 64 MB, streamed into storage as it arrives. */
export async function addUploadPart(request: ApiRequest, uploadId: string, deps: UploadsDeps): Promise<ApiResponse> {
  const nowMs = deps.nowMs();
  const upload = await deps.uploads.get(uploadId);
  if (!upload) throw notFound(uploadId);
  // Refused before the part is read: a 64 MB part need not travel for nothing.
  if (upload.status !== "pending" || isUploadExpired(upload, nowMs)) throw stateError(new UploadStateError(upload.status === "pending" ? "expired" : "notPending", upload), uploadId);
  const received = await readMultipartUpload<StoredPart>(request, {
    fileField: "data",
    limitBytes: MAX_PART_BYTES + 64 * 1024,
    fileLimitBytes: MAX_PART_BYTES,
    onFile: (file) => deps.uploads.addPart(uploadId, file.stream, { nowMs, maxStagedBytes: upload.bytes + MAX_PART_BYTES }),
  }).catch((error: unknown) => {
    throw stateError(error, uploadId);
  });
  if (!received.file) throw invalid("Send the part's bytes in a multipart form part named 'data'.", "data", "missing_required_parameter");
  const part = received.file.stored;
  return json({ id: part.id, object: "upload.part", created_at: part.createdAt, upload_id: uploadId });
}

/** `POST /uploads/{id}/complete`: `{ part_ids, md5? }`; the parts joined in that order become a File. */
export async function completeUpload(request: ApiRequest, uploadId: string, deps: UploadsDeps): Promise<ApiResponse> {
  const body = await readJsonObject(request);
  const partIds = body.part_ids;
  if (partIds === undefined || partIds === null) throw invalid("Missing required parameter: 'part_ids'.", "part_ids", "missing_required_parameter");
  if (!Array.isArray(partIds) || partIds.length === 0 || partIds.length > MAX_PART_IDS || !partIds.every((id) => typeof id === "string")) {
    throw invalid(`'part_ids' must be a non-empty list of at most ${MAX_PART_IDS} part ids, in the order the parts are joined.`, "part_ids");
  }
  const md5 = body.md5;
  if (md5 !== undefined && md5 !== null && (typeof md5 !== "string" || !MD5_HEX.test(md5))) throw invalid("'md5' must be the file's MD5 checksum as 32 hex digits.", "md5");
  const completion = createHash("sha256").update(JSON.stringify([partIds, md5 ?? null])).digest("hex");

  const nowMs = deps.nowMs();
  const upload = await deps.uploads.get(uploadId);
  if (!upload) throw notFound(uploadId);
  // A completion repeated (a client retrying after a lost answer) gets the same answer.
  if (upload.status === "completed" && upload.completion === completion) return json(uploadObject(upload, nowMs, fileOf(upload, nowMs)));
  if (upload.status !== "pending" || isUploadExpired(upload, nowMs)) throw stateError(new UploadStateError(upload.status === "pending" ? "expired" : "notPending", upload), uploadId);

  const stored = await deps.uploads.parts(uploadId);
  const seen = new Set<string>();
  const parts: StoredPart[] = [];
  for (const [index, id] of (partIds as string[]).entries()) {
    const part = stored.get(id);
    if (!part) throw invalid(`part_ids[${index}] ('${id.slice(0, 80)}') is not a part of Upload ${uploadId}.`, "part_ids", "invalid_part_id");
    if (seen.has(id)) throw invalid(`part_ids[${index}] ('${id}') is listed twice; name each part once.`, "part_ids", "duplicate_part_id");
    seen.add(id);
    parts.push(part);
  }
  const total = parts.reduce((sum, part) => sum + part.bytes, 0);
  if (total !== upload.bytes) {
    throw invalid(`The parts named add up to ${total} bytes, but the Upload was created for ${upload.bytes} bytes.`, "part_ids", "bytes_mismatch");
  }

  await deps.uploads.join(upload, parts);
  if (typeof md5 === "string") {
    const actual = await deps.uploads.md5Of(upload);
    if (actual !== md5.toLowerCase()) {
      throw invalid(`The md5 of the joined parts is ${actual}, not ${md5}; check the parts and their order.`, "md5", "md5_mismatch");
    }
  }
  const file = fileOf(upload, nowMs);
  const completed = await deps.uploads.finish(upload, file, completion, nowMs).catch((error: unknown) => {
    throw stateError(error, uploadId);
  });
  return json(uploadObject(completed, nowMs, file));
}

/** The File an upload becomes; created when completed (a repeated completion answers with the first one's time). */
function fileOf(upload: StoredUpload, nowMs: number): StoredFile {
  const createdAt = upload.completedAt ?? Math.floor(nowMs / 1000);
  return {
    id: upload.fileId,
    bytes: upload.bytes,
    createdAt,
    fileName: upload.fileName,
    purpose: upload.purpose,
    ...(upload.fileExpiresAfterSeconds !== undefined ? { expiresAt: createdAt + upload.fileExpiresAfterSeconds } : {}),
  };
}

/** `POST /uploads/{id}/cancel`: no parts may be added after; the staged parts are dropped. */
export async function cancelUpload(uploadId: string, deps: UploadsDeps): Promise<ApiResponse> {
  const nowMs = deps.nowMs();
  const cancelled = await deps.uploads.cancel(uploadId, nowMs).catch((error: unknown) => {
    throw stateError(error, uploadId);
  });
  return json(uploadObject(cancelled, nowMs));
}
