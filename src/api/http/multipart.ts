import { Transform, type Readable } from "node:stream";
import busboy from "busboy";
import { HttpProblem } from "./httpProblem.js";
import { bodyStream } from "./requestBody.js";
import type { ApiRequest } from "./types.js";

/** The one file part of an upload, as it arrives: its stream must be consumed (or destroyed). */
export interface IncomingFile {
  fileName: string;
  mimeType: string;
  stream: Readable;
}

export interface MultipartUploadOptions<T> {
  /** Name of the form field that carries the file (`file` for OpenAI, `document` for DocuDevs). */
  fileField: string;
  /** Largest whole request body, in bytes; reading stops there (413). */
  limitBytes: number;
  /** Largest file part, in bytes; default `limitBytes`. */
  fileLimitBytes?: number;
  /**
   * Streams the file where it belongs (a blob upload) without holding it in memory. It runs
   * while the rest of the body is still arriving; when the upload is refused later (limit, a
   * malformed body) `discard` is called with what it returned, so nothing half-accepted stays.
   */
  onFile(file: IncomingFile): Promise<T>;
  discard?(stored: T): Promise<void>;
}

export interface MultipartUpload<T> {
  /** The text fields, by name (the last value wins when a name repeats). */
  fields: Record<string, string>;
  /** The stored file part, when the body had one in `fileField`. */
  file?: { fileName: string; mimeType: string; sizeBytes: number; stored: T };
}

const MAX_FIELD_BYTES = 64 * 1024;

/**
 * Reads a `multipart/form-data` upload with one file part, streaming the file to `onFile`.
 * Every failure is an HttpProblem the front door renders in its own format: 400 for a body
 * that is not multipart or is malformed, 413 past a limit. Other file parts are drained and ignored.
 */
export async function readMultipartUpload<T>(request: ApiRequest, options: MultipartUploadOptions<T>): Promise<MultipartUpload<T>> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;.*boundary=/i.test(contentType)) {
    throw new HttpProblem(400, "InvalidBody", `Send the upload as multipart/form-data with a '${options.fileField}' file part (Content-Type was '${contentType || "missing"}').`);
  }
  const fileLimitBytes = options.fileLimitBytes ?? options.limitBytes;
  let parser: busboy.Busboy;
  try {
    // Clients send UTF-8 file names unencoded (busboy would read them as latin1). busboy reports
    // its limit when a file reaches it: one byte more, so that a file of exactly the limit passes.
    parser = busboy({ headers: { "content-type": contentType }, defParamCharset: "utf8", limits: { fileSize: fileLimitBytes + 1, fieldSize: MAX_FIELD_BYTES } });
  } catch {
    throw new HttpProblem(400, "InvalidBody", "The multipart/form-data Content-Type has no usable boundary.");
  }
  const body = bodyStream(request, { limitBytes: options.limitBytes });

  const fields: Record<string, string> = {};
  let file: { fileName: string; mimeType: string; sizeBytes: number; stored: Promise<T> } | undefined;
  let failure: HttpProblem | undefined;
  let fileStream: Readable | undefined;
  const fail = (problem: HttpProblem) => {
    failure ??= problem;
    // The sink must see the file end in an error, or it would wait for bytes that never come.
    if (fileStream && !fileStream.destroyed) fileStream.destroy(failure);
    body.unpipe(parser);
    body.destroy();
    parser.destroy();
  };

  const parsed = new Promise<void>((resolve) => {
    parser.on("field", (name, value, info) => {
      if (failure) return;
      if (info.valueTruncated) fail(new HttpProblem(400, "InvalidBody", `The form field '${name}' is longer than ${MAX_FIELD_BYTES} bytes.`));
      else fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      // busboy goes on emitting parts after an error (a malformed part header): once the upload
      // is refused, none reaches the sink, which would wait forever on a parser already destroyed.
      if (failure || name !== options.fileField || file) {
        if (file && name === options.fileField) fail(new HttpProblem(400, "InvalidBody", `Send one '${options.fileField}' file part per request.`));
        stream.on("error", () => undefined).resume();
        return;
      }
      const entry = { fileName: info.filename ?? "", mimeType: info.mimeType, sizeBytes: 0, stored: undefined as unknown as Promise<T> };
      // Counted in a pass-through, not with a 'data' listener on busboy's stream: that would start
      // the bytes flowing before a sink that awaits something first has begun to read them.
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          entry.sizeBytes += chunk.length;
          done(null, chunk);
        },
      });
      stream.on("error", (error) => counted.destroy(error));
      stream.pipe(counted);
      stream.on("limit", () => fail(new HttpProblem(413, "PayloadTooLarge", `The file '${entry.fileName}' is larger than ${fileLimitBytes} bytes, the most this operation accepts.`)));
      fileStream = stream;
      entry.stored = options.onFile({ fileName: entry.fileName, mimeType: entry.mimeType, stream: counted });
      // Observed here so that a failing sink never becomes an unhandled rejection before it is awaited.
      entry.stored.catch(() => undefined);
      file = entry;
    });
    parser.on("error", () => {
      fail(new HttpProblem(400, "InvalidBody", "The multipart/form-data body is malformed or ends early. Send it again."));
      resolve();
    });
    parser.on("close", resolve);
    body.on("error", (error) => {
      fail(error instanceof HttpProblem ? error : new HttpProblem(400, "InvalidBody", "The request body could not be read completely. Send it again."));
      resolve();
    });
  });
  body.pipe(parser);
  await parsed;

  let stored: T | undefined;
  if (file) {
    try {
      stored = await file.stored;
    } catch (error) {
      if (!failure) throw error;
    }
  }
  if (failure) {
    if (stored !== undefined) await options.discard?.(stored).catch(() => undefined);
    throw failure;
  }
  return { fields, file: file && { fileName: file.fileName, mimeType: file.mimeType, sizeBytes: file.sizeBytes, stored: stored as T } };
}
