// A loopback proxy in front of a test's docbatch that checks every answer against the app's own
// /openapi.json, whoever sends the request (the official SDKs, the Python clients, the CLI as a
// child process, raw fetch). Requests and answers pass through unchanged and streamed.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { openApiValidator, type Exchange } from "./openApiCheck.js";

/** Bodies above this are passed on but not kept for the schema check (result downloads, big uploads). */
const MAX_CHECKED_BODY_BYTES = 4 * 1024 * 1024;

export interface OpenApiProxy {
  /** http://127.0.0.1:<port>: what clients are given instead of the app's own URL. */
  readonly url: string;
  /** Where requests go; set once the app listens. */
  target: string;
  /** Mismatches seen so far, one line each. */
  readonly problems: readonly string[];
  /** How many answers were checked. */
  readonly checked: number;
  /** Resolves once every answer that ended so far has been checked. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startOpenApiProxy(): Promise<OpenApiProxy> {
  let validate: ((exchange: Exchange) => string[]) | undefined;
  const problems: string[] = [];
  let checked = 0;
  const pending = new Set<Promise<void>>();
  // A fresh connection per request: a pooled one can be closed by the app's keep-alive timeout
  // just as it is reused, and a streamed upload cannot be replayed (CI saw "socket hang up").
  const agent = new http.Agent({ keepAlive: false });

  const validator = async (target: string) => {
    validate ??= openApiValidator(await (await fetch(`${target}/openapi.json`)).json());
    return validate;
  };

  const server = http.createServer((request, response) => {
    const target = new URL(proxy.target);
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        const chunks: Buffer[] = [];
        let kept = 0;
        answer.on("data", (chunk: Buffer) => {
          kept += chunk.length;
          if (kept <= MAX_CHECKED_BODY_BYTES) chunks.push(chunk);
        });
        answer.pipe(response);
        answer.on("end", () => {
          const exchange: Exchange = {
            method: request.method ?? "GET",
            path: request.url ?? "/",
            status: answer.statusCode ?? 0,
            contentType: header(answer.headers["content-type"]),
            allow: header(answer.headers.allow),
            body: kept <= MAX_CHECKED_BODY_BYTES ? Buffer.concat(chunks) : undefined,
          };
          // The Functions host's own API (durable webhooks) is not docbatch's to describe.
          if (exchange.path.startsWith("/openapi.json") || exchange.path.startsWith("/runtime/")) return;
          const checking = validator(proxy.target).then(
            (check) => {
              checked++;
              problems.push(...check(exchange));
            },
            (error: Error) => void problems.push(`cannot read /openapi.json: ${error.message}`),
          );
          pending.add(checking);
          void checking.finally(() => pending.delete(checking));
        });
      },
    );
    upstream.on("error", (error) => {
      if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
      response.end(`proxy: ${error.message}`);
    });
    request.pipe(upstream);
    // A client that gives up mid-request (a test aborting an upload) ends the upstream request too.
    request.on("aborted", () => upstream.destroy());
    response.on("close", () => {
      if (!response.writableFinished) upstream.destroy();
    });
  });
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const proxy: OpenApiProxy = {
    url,
    target: "",
    problems,
    get checked() {
      return checked;
    },
    settled: async () => {
      while (pending.size > 0) await Promise.all(pending);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
  return proxy;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}
