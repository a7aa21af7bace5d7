import http from "node:http";

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One POST on its own connection, seen as a client sees it (status, headers, body text).
 * `chunked` sends the body in 1 KiB chunks without Content-Length. A server that answers and
 * closes while the body is still being sent is fine: the answer is what counts.
 */
export function rawPost(url: string, headers: Record<string, string>, body: Buffer, chunked = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", agent: false, headers: chunked ? headers : { ...headers, "content-length": String(body.length) } });
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("error", (error: NodeJS.ErrnoException) => (error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error)));
    if (chunked) {
      for (let at = 0; at < body.length; at += 1024) request.write(body.subarray(at, at + 1024));
      request.end();
    } else {
      request.end(body);
    }
  });
}
