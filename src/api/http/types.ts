import type { ReadableStream } from "node:stream/web";

/** The parts of an HTTP request a front door reads; `@azure/functions`' HttpRequest has them. */
export interface ApiRequest {
  method: string;
  url: string;
  headers: Headers;
  /** The body as a web stream (with `enableHttpStream`), or null when there is none. */
  body: ReadableStream<Uint8Array> | null;
}

/** Shaped like `@azure/functions`' HttpResponseInit. */
export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  jsonBody?: unknown;
  body?: AsyncIterable<Uint8Array> | string | Uint8Array;
}
