import type { IncomingMessage } from "node:http";

/**
 * The request size limits of the Functions host's web server (Kestrel's defaults), so that a
 * URL or header set the real host refuses is refused here too, and one it accepts reaches the
 * app (which answers a bad id in its own error format) instead of Node's bare 431 at 16 KB.
 */
export const KESTREL_LIMITS = {
  /** MaxRequestLineSize: `METHOD target HTTP/1.1\r\n`; longer gets 414. */
  requestLineBytes: 8 * 1024,
  /** MaxRequestHeadersTotalSize: names, values and separators; more gets 431. */
  headersTotalBytes: 32 * 1024,
} as const;

/** Node's parser limit (request line and headers together): room for both of Kestrel's limits. */
export const NODE_MAX_HEADER_SIZE = 64 * 1024;

/** The status Kestrel would refuse this request with, or undefined when it is within its limits. */
export function requestLimitStatus(req: IncomingMessage): 414 | 431 | undefined {
  const requestLine = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`);
  if (requestLine > KESTREL_LIMITS.requestLineBytes) return 414;
  let headers = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers += Buffer.byteLength(req.rawHeaders[i]) + Buffer.byteLength(req.rawHeaders[i + 1]) + 4;
  return headers > KESTREL_LIMITS.headersTotalBytes ? 431 : undefined;
}
