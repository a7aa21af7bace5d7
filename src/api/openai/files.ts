import { Readable } from "node:stream";
import { isExpired, type OpenAiFileStore, type StoredFile } from "../../storage/openAiFileStore.js";
import { readMultipartUpload } from "../http/multipart.js";
import type { ApiRequest, ApiResponse } from "../http/types.js";
import { OpenAiError } from "./errors.js";

export const FILE_PURPOSES = new Set(["batch", "batch_output", "fine-tune", "assistants", "vision", "user_data", "evals"]);
export const UPLOAD_PURPOSES = new Set(["batch", "fine-tune", "assistants", "vision", "user_data", "evals"]);
const MIN_EXPIRY_SECONDS = 3600;
const MAX_EXPIRY_SECONDS = 30 * 24 * 3600;
const DEFAULT_LIST_LIMIT = 10_000;
const MAX_LIST_LIMIT = 10_000;

export interface FilesDeps {
  files: OpenAiFileStore;
  uploadLimitBytes: number;
  nowMs(): number;
}

/** The FileObject of §3. */
export function fileObject(file: StoredFile): Record<string, unknown> {
  return {
    id: file.id,
    object: "file",
    bytes: file.bytes,
    created_at: file.createdAt,
    filename: file.fileName,
    purpose: file.purpose,
    status: "processed",
    status_details: null,
    expires_at: file.expiresAt ?? null,
  };
}

function json(body: unknown, status = 200): ApiResponse {
  return { status, headers: { "content-type": "application/json" }, jsonBody: body };
}

function notFound(id: string): OpenAiError {
  return new OpenAiError(404, `No such File object: ${id}`, { param: "id", code: "file_not_found" });
}

/** `POST /files`: the file part streamed to storage; refused uploads leave nothing behind. */
export async function uploadFile(request: ApiRequest, deps: FilesDeps): Promise<ApiResponse> {
  const nowMs = deps.nowMs();
  const upload = await readMultipartUpload(request, {
    fileField: "file",
    limitBytes: deps.uploadLimitBytes + 1024 * 1024,
    fileLimitBytes: deps.uploadLimitBytes,
    onFile: (file) => deps.files.write(file.stream, nowMs),
    discard: async (stored) => void (await deps.files.delete(stored.id)),
  });
  if (!upload.file) throw new OpenAiError(400, "Send the file in a multipart form part named 'file'.", { param: "file" });
  const stored = upload.file.stored;
  try {
    const purpose = upload.fields.purpose;
    if (!purpose) throw new OpenAiError(400, "Missing required parameter: 'purpose'.", { param: "purpose", code: "missing_required_parameter" });
    if (!UPLOAD_PURPOSES.has(purpose)) {
      throw new OpenAiError(400, `'${purpose.slice(0, 64)}' is not a valid purpose. Use one of: ${[...UPLOAD_PURPOSES].join(", ")}.`, { param: "purpose", code: "invalid_value" });
    }
    const createdAt = Math.floor(nowMs / 1000);
    const expiresAt = expiryOf(upload.fields, createdAt);
    const file: StoredFile = { id: stored.id, bytes: stored.bytes, createdAt, fileName: upload.file.fileName || "unknown_file", purpose, ...(expiresAt ? { expiresAt } : {}) };
    await deps.files.describe(file);
    return json(fileObject(file));
  } catch (error) {
    await deps.files.delete(stored.id).catch(() => undefined);
    throw error;
  }
}

function expiryOf(fields: Record<string, string>, createdAt: number): number | undefined {
  const anchor = fields["expires_after[anchor]"];
  const seconds = fields["expires_after[seconds]"];
  if (anchor === undefined && seconds === undefined) return undefined;
  if (anchor !== "created_at") throw new OpenAiError(400, "expires_after[anchor] must be 'created_at'.", { param: "expires_after[anchor]", code: "invalid_value" });
  const value = Number(seconds);
  if (!Number.isInteger(value) || value < MIN_EXPIRY_SECONDS || value > MAX_EXPIRY_SECONDS) {
    throw new OpenAiError(400, `expires_after[seconds] must be an integer from ${MIN_EXPIRY_SECONDS} to ${MAX_EXPIRY_SECONDS}.`, { param: "expires_after[seconds]", code: "invalid_value" });
  }
  return createdAt + value;
}

/** A file callers may see: stored, described, not expired. */
export async function visibleFile(id: string, deps: FilesDeps): Promise<StoredFile | undefined> {
  const file = await deps.files.get(id);
  return file && !isExpired(file, deps.nowMs()) ? file : undefined;
}

export async function retrieveFile(id: string, deps: FilesDeps): Promise<ApiResponse> {
  const file = await visibleFile(id, deps);
  if (!file) throw notFound(id);
  return json(fileObject(file));
}

export async function deleteFile(id: string, deps: FilesDeps): Promise<ApiResponse> {
  if (!(await visibleFile(id, deps)) || !(await deps.files.delete(id))) throw notFound(id);
  return json({ id, object: "file", deleted: true });
}

export async function fileContent(id: string, deps: FilesDeps): Promise<ApiResponse> {
  const opened = (await visibleFile(id, deps)) && (await deps.files.open(id));
  if (!opened) throw notFound(id);
  const body = Readable.from(opened.stream as AsyncIterable<Uint8Array>);
  return { status: 200, headers: { "content-type": "application/octet-stream", "content-length": String(opened.bytes) }, body };
}

/** `GET /files?purpose&limit&after&order`: pages in creation order, `after` an id of the previous page. */
export async function listFiles(query: URLSearchParams, deps: FilesDeps): Promise<ApiResponse> {
  const purpose = query.get("purpose") ?? undefined;
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw new OpenAiError(400, "order must be 'asc' or 'desc'.", { param: "order", code: "invalid_value" });
  const limitText = query.get("limit");
  const limit = limitText === null ? DEFAULT_LIST_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new OpenAiError(400, `limit must be an integer from 1 to ${MAX_LIST_LIMIT}.`, { param: "limit", code: "invalid_value" });
  }
  const after = query.get("after") ?? undefined;
  const files: StoredFile[] = [];
  const nowMs = deps.nowMs();
  for await (const file of deps.files.all()) {
    if ((!purpose || file.purpose === purpose) && !isExpired(file, nowMs)) files.push(file);
  }
  if (order === "desc") files.reverse();
  let start = 0;
  if (after) {
    const at = files.findIndex((file) => file.id === after);
    // An id that is gone still pages correctly: ids sort by creation time.
    start = at >= 0 ? at + 1 : files.findIndex((file) => (order === "asc" ? file.id > after : file.id < after));
    if (start < 0) start = files.length;
  }
  const page = files.slice(start, start + limit);
  return json({
    object: "list",
    data: page.map(fileObject),
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
    has_more: start + limit < files.length,
  });
}
