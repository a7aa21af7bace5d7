import { StringDecoder } from "node:string_decoder";
import type { ContainerClient } from "@azure/storage-blob";
import { redactUrl } from "./containerUrl.js";
import { SourceError, toSourceError } from "./sourceError.js";

export { SourceError, toSourceError, type SourceErrorCode, type SourceErrorDetails } from "./sourceError.js";

/** One document of a batch: a blob name in the source container (relative to the container). */
export interface SourceDocument {
  name: string;
  size?: number;
  contentType?: string;
}

const DEFAULT_PAGE_SIZE = 1000;
/** Blob names are at most 1024 characters; a JSON line holding one cannot be much longer. */
const MAX_FILE_NAME_LENGTH = 1024;
const MAX_LINE_LENGTH = 16 * 1024;

/**
 * Every blob under `prefix`, nested folders included, page by page as the service returns them.
 * Directory markers (ADLS `hdi_isfolder` blobs, zero-byte names ending in '/') are not documents.
 * Storage failures become SourceErrors; an abort through `signal` is rethrown as is.
 */
export async function* listContainerDocuments(
  container: ContainerClient,
  prefix?: string,
  options: { pageSize?: number; signal?: AbortSignal } = {},
): AsyncIterable<SourceDocument[]> {
  const what = `source container '${redactUrl(container.url)}'`;
  const pages = container
    .listBlobsFlat({ prefix: prefix || undefined, includeMetadata: true, abortSignal: options.signal })
    .byPage({ maxPageSize: options.pageSize ?? DEFAULT_PAGE_SIZE });
  const nextPage = async () => {
    try {
      options.signal?.throwIfAborted();
      return await pages.next();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw toSourceError(error, what);
    }
  };
  for (;;) {
    const next = await nextPage();
    if (next.done) return;
    const documents: SourceDocument[] = [];
    for (const blob of next.value.segment.blobItems) {
      if (isDirectoryMarker(blob.name, blob.properties.contentLength, blob.metadata)) continue;
      documents.push({ name: blob.name, size: blob.properties.contentLength, contentType: blob.properties.contentType || undefined });
    }
    if (documents.length > 0) yield documents;
  }
}

function isDirectoryMarker(name: string, size: number | undefined, metadata: Record<string, string> | undefined): boolean {
  const folderFlag = Object.entries(metadata ?? {}).some(([key, value]) => key.toLowerCase() === "hdi_isfolder" && value.toLowerCase() === "true");
  return folderFlag || (name.endsWith("/") && !size);
}

/**
 * The documents named by a JSONL file list in the container, one `{"file": "name"}` per line,
 * streamed line by line and yielded in pages. Blank lines are skipped. Listed files are not checked
 * here: a missing one fails that document later, not the batch.
 */
export async function* readFileList(
  container: ContainerClient,
  fileListPath: string,
  options: { pageSize?: number; signal?: AbortSignal } = {},
): AsyncIterable<SourceDocument[]> {
  const what = `file list '${fileListPath}' in '${redactUrl(container.url)}'`;
  if (!fileListPath || fileListPath.endsWith("/")) throw new SourceError("InvalidFileList", `${what}: fileList must name a blob in the container.`);
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  let body: NodeJS.ReadableStream | undefined;
  try {
    // maxRetryRequests lets the SDK resume the stream where it broke off.
    const response = await container.getBlobClient(fileListPath).download(0, undefined, { maxRetryRequests: 3, abortSignal: options.signal });
    body = response.readableStreamBody;
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw toSourceError(error, what);
  }
  if (!body) throw new SourceError("SourceUnavailable", `${what}: the download returned no body.`, { transient: true });

  let page: SourceDocument[] = [];
  let entries = 0;
  try {
    for await (const { line, number } of lines(body, what)) {
      if (line.trim() === "") continue;
      page.push({ name: parseEntry(line, number, what) });
      entries++;
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
  } catch (error) {
    if (error instanceof SourceError || options.signal?.aborted) throw error;
    throw toSourceError(error, what);
  } finally {
    // Stops the download when the caller stops early or a line is refused.
    (body as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  }
  if (entries === 0) throw new SourceError("InvalidFileList", `${what} is empty; put one {"file": "name"} per line.`);
  if (page.length > 0) yield page;
}

function parseEntry(line: string, number: number, what: string): string {
  const invalid = (reason: string) =>
    new SourceError("InvalidFileList", `${what}, line ${number}: ${reason}; expected {"file": "name"}. The line starts: ${JSON.stringify(line.slice(0, 80))}`);
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    throw invalid("not valid JSON");
  }
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw invalid("not a JSON object");
  const file = (entry as { file?: unknown }).file;
  if (typeof file !== "string") throw invalid(`"file" is missing or not a string`);
  if (file.length === 0 || file.length > MAX_FILE_NAME_LENGTH) throw invalid(`"file" must be 1-${MAX_FILE_NAME_LENGTH} characters`);
  if (file.endsWith("/")) throw invalid(`"file" names a folder`);
  return file;
}

/** Splits a UTF-8 byte stream into numbered lines (LF or CRLF), refusing absurdly long lines rather than buffering them. */
async function* lines(stream: NodeJS.ReadableStream, what: string): AsyncGenerator<{ line: string; number: number }> {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let number = 0;
  const emit = (text: string) => {
    number++;
    let line = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (number === 1 && line.startsWith("\uFEFF")) line = line.slice(1);
    return { line, number };
  };
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    pending += typeof chunk === "string" ? chunk : decoder.write(chunk);
    // Slice once per chunk, not once per line: a chunk holds hundreds of lines.
    let start = 0;
    let newline: number;
    while ((newline = pending.indexOf("\n", start)) >= 0) {
      yield emit(pending.slice(start, newline));
      start = newline + 1;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_LINE_LENGTH) {
      throw new SourceError("InvalidFileList", `${what}, line ${number + 1}: longer than ${MAX_LINE_LENGTH} characters; put one {"file": "name"} per line.`);
    }
  }
  pending += decoder.end();
  if (pending.length > 0) yield emit(pending);
}
