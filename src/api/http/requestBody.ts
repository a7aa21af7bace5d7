import { Readable } from "node:stream";
import { HttpProblem } from "./httpProblem.js";
import type { ApiRequest } from "./types.js";

export interface BodyLimit {
  /** Largest body accepted, in bytes. Reading stops there: a larger body is never held in memory. */
  limitBytes: number;
}

function tooLarge(limitBytes: number): HttpProblem {
  return new HttpProblem(413, "PayloadTooLarge", `The request body is larger than ${limitBytes} bytes, the most this operation accepts.`);
}

/**
 * The body as a stream that fails with 413 as soon as more than `limitBytes` arrived (a
 * Content-Length above the limit fails before anything is read). For multipart uploads: hand it
 * to busboy and stop at the first error.
 */
export function bodyStream(request: ApiRequest, { limitBytes }: BodyLimit): Readable {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const source = request.body;
  let received = 0;
  return Readable.from(
    (async function* () {
      if (!source) return;
      const reader = source.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received += value.byteLength;
          if (received > limitBytes) throw tooLarge(limitBytes);
          yield value;
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    })(),
    { objectMode: false },
  );
}

/** The whole body as bytes, read up to the limit. */
export async function readBody(request: ApiRequest, limit: BodyLimit): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of bodyStream(request, limit)) chunks.push(chunk as Buffer);
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    throw new HttpProblem(400, "InvalidBody", "The request body could not be read completely. Send it again.");
  }
  return Buffer.concat(chunks);
}

/** The body as UTF-8 text, read up to the limit. */
export async function readTextBody(request: ApiRequest, limit: BodyLimit): Promise<string> {
  return (await readBody(request, limit)).toString("utf8");
}
