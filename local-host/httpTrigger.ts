import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import type { RegisteredFunction, RpcTypedData, LogSink } from "./functionsCore.js";
import type { Invoker } from "./invoker.js";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

/** The request headers as the host puts them in trigger metadata: repeated ones joined. */
function joinedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (!values) continue;
    headers[name] = values.join(name === "cookie" ? "; " : ", ");
  }
  return headers;
}

export interface HttpTriggerContext {
  invoker: Invoker;
  /** The worker's HTTP proxy (`HttpUri` capability) when the app enabled HTTP streams. */
  proxy?: {
    port: number;
    /** Keep-alive connections, for requests without a body. */
    agent: http.Agent;
    /** Connections used once (the proxy may close them), for requests with a body and retries. */
    singleUseAgent: http.Agent;
  };
  extraInputs(fn: RegisteredFunction): { name: string; data: RpcTypedData }[];
  log: LogSink;
  /** FUNCTIONS_REQUEST_BODY_SIZE_LIMIT as the host reads it (requestBodyLimit.ts). */
  maxRequestBodyBytes: number;
  /**
   * Awaited before an answer to anything but GET/HEAD is sent (the storage barrier of
   * `npm run local --data`): what the caller sees acknowledged is then on disk. A rejection
   * answers 503 instead, as what the request did cannot be confirmed.
   */
  beforeAnswer?: () => Promise<void>;
}

/** Resolves true when the answer may go out; false after answering 503 itself. */
/** The HTTP response a worker returns over the Functions RPC (the fields this host relays). */
interface RpcHttpResponse {
  statusCode?: number | string;
  headers?: Record<string, unknown>;
  cookies?: { name: string; value: string }[];
  body?: { bytes?: Uint8Array; string?: string };
}

async function answerable(ctx: HttpTriggerContext, req: IncomingMessage, res: ServerResponse, fn: RegisteredFunction): Promise<boolean> {
  if (!ctx.beforeAnswer || req.method === "GET" || req.method === "HEAD") return true;
  try {
    await ctx.beforeAnswer();
    return true;
  } catch (error) {
    ctx.log({ level: "warning", category: "system", message: `Answered 503 to ${req.method} ${req.url}: its storage writes could not be confirmed saved (${(error as Error)?.message ?? error})`, functionName: fn.name });
    if (!res.headersSent) {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "5", connection: "close" });
      res.end(JSON.stringify({ error: { code: "StorageUnavailable", message: "Local storage (Azurite) could not confirm this request's writes were saved; it is restarting. Retry the request." } }));
    } else res.destroy();
    return false;
  }
}

/**
 * Invokes an HTTP trigger like the host: with HTTP streams on, the request is forwarded to the
 * worker's proxy server (tagged with the invocation id) while the invocation runs, and the
 * proxy's streamed response goes back to the caller. A handler that throws yields 500.
 */
export async function handleHttpTrigger(ctx: HttpTriggerContext, fn: RegisteredFunction, params: Record<string, string>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const invocationId = randomUUID();
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
  const headers = joinedHeaders(req);
  const triggerMetadata: Record<string, RpcTypedData> = {
    Headers: { json: JSON.stringify(headers) },
    Query: { json: JSON.stringify(Object.fromEntries(url.searchParams)) },
  };
  for (const [name, value] of Object.entries(params)) triggerMetadata[name] = { string: value };

  // A declared length over the limit is refused before the app is invoked; a chunked body is
  // counted as it arrives (BodyLimit) and refused when it passes the limit.
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > ctx.maxRequestBodyBytes) return refuseBodyTooLarge(req, res);
  const body = new BodyLimit(ctx.maxRequestBodyBytes);

  if (!ctx.proxy) return invokeBuffered(ctx, fn, params, req, body, res, invocationId, url, headers, triggerMetadata);

  const forwardHeaders: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) forwardHeaders[name] = value;
  if (req.headers["transfer-encoding"]) forwardHeaders["transfer-encoding"] = req.headers["transfer-encoding"];
  forwardHeaders["x-ms-invocation-id"] = invocationId;
  forwardHeaders["x-forwarded-host"] = req.headers.host ?? url.host;
  forwardHeaders["x-forwarded-proto"] = "http";
  // The library's proxy closes its connection when the app stops reading a body early (a 413 at
  // the limit cancels the request stream). A keep-alive socket handed out again while that close
  // is on its way loses the next request, and the invocation waiting for it never runs. So a
  // request with a body gets a connection of its own; a bodiless one may reuse a socket and is
  // sent again on a fresh one when the reused socket turns out closed (none of it was read).
  const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
  const { port: proxyPort, singleUseAgent } = ctx.proxy;
  const send = (agent: http.Agent): http.ClientRequest => {
    const forwarded = http.request({ host: "127.0.0.1", port: proxyPort, method: req.method, path: req.url, headers: forwardHeaders, agent });
    forwarded.on("response", (proxyRes) => {
      if (body.exceeded) return void proxyRes.resume();
      answered = true;
      // answerable() never rejects: a refusal is answered (503) there and comes back as false.
      void answerable(ctx, req, res, fn).then((ok) => (ok ? relayResponse(req, res, proxyRes) : proxyRes.destroy()));
    });
    return forwarded;
  };
  // Once the proxy answered, a failure to write the rest of the body is the app not reading it.
  let answered = false;
  let abandoned = false;
  const abandon = () => {
    abandoned = true;
    proxyReq.destroy();
  };
  let proxyReq = send(hasBody ? singleUseAgent : ctx.proxy.agent);
  const failForwarding = (error: Error) => {
    ctx.log({ level: "error", category: "system", message: `Forwarding '${fn.name}' to the worker's HTTP proxy failed: ${error.message}`, functionName: fn.name, invocationId });
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  };
  // A request the proxy got runs, and its answer may still come: judged when the invocation ends.
  let forwardFailure: Error | undefined;
  const onForwardError = (error: Error) => {
    if (abandoned || answered) return;
    if (!hasBody && proxyReq.reusedSocket && !res.headersSent && !res.destroyed) {
      proxyReq = send(singleUseAgent);
      proxyReq.on("error", onForwardError);
      proxyReq.end();
      return;
    }
    if ((error as NodeJS.ErrnoException).code === "ECONNREFUSED") failForwarding(error);
    else forwardFailure = error;
  };
  proxyReq.on("error", onForwardError);
  body.on("error", () => {
    // Over the limit: the app's request is cut off and the caller gets the host's answer.
    req.unpipe(body);
    abandon();
    if (!res.headersSent) refuseBodyTooLarge(req, res);
    else res.destroy();
  });
  res.on("close", () => {
    if (!res.writableFinished) abandon();
  });
  proxyReq.flushHeaders();
  req.pipe(body).pipe(proxyReq);

  try {
    const outcome = await ctx.invoker.invoke(fn, {
      invocationId,
      inputData: [{ name: fn.trigger.name, data: { http: {} } }, ...ctx.extraInputs(fn)],
      triggerMetadata,
    });
    if (body.exceeded) return;
    if (outcome.result === undefined || outcome.result === null) {
      // No response object: the library never answers the proxied request.
      abandon();
      if (!res.headersSent) res.writeHead(204).end();
    } else if (forwardFailure && !answered) {
      failForwarding(forwardFailure);
    }
  } catch (error) {
    if (body.exceeded) return;
    ctx.log({ level: "error", category: "system", message: `Executed '${fn.name}' (Failed): ${(error as Error)?.stack ?? error}`, functionName: fn.name, invocationId });
    abandon();
    if (!res.headersSent) res.writeHead(500).end();
    else res.destroy();
  }
}

/** Streams the worker proxy's answer back to the caller. */
function relayResponse(req: IncomingMessage, res: ServerResponse, proxyRes: IncomingMessage): void {
  const raw: string[] = [];
  for (let i = 0; i < proxyRes.rawHeaders.length; i += 2) {
    if (!HOP_BY_HOP.has(proxyRes.rawHeaders[i].toLowerCase())) raw.push(proxyRes.rawHeaders[i], proxyRes.rawHeaders[i + 1]);
  }
  // An app that answers before reading the whole body (413 at its limit) leaves the rest
  // unread: the connection cannot be reused, and closing it at once with bytes still arriving
  // makes the kernel reset it, so a caller still writing loses the answer (EPIPE). Linger as
  // Kestrel does: discard what still arrives for a bounded time, then close.
  const lingering = !req.complete;
  if (lingering) raw.push("Connection", "close");
  res.writeHead(proxyRes.statusCode ?? 500, raw);
  if (lingering) {
    req.unpipe();
    req.resume();
    proxyRes.pipe(res, { end: false });
    proxyRes.on("end", () => lingerThenEnd(req, res));
  } else {
    proxyRes.pipe(res);
  }
  proxyRes.on("error", () => res.destroy());
}

/** How long an answered request's unread body is drained before the connection closes. */
const LINGER_MS = 2_000;

function lingerThenEnd(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return void res.end();
  const timer = setTimeout(() => res.end(), LINGER_MS);
  timer.unref();
  req.once("end", () => {
    clearTimeout(timer);
    res.end();
  });
  req.once("close", () => clearTimeout(timer));
}

/**
 * Counts a request body on its way to the app and fails once it passes the limit (a body sent
 * without Content-Length, or one longer than it declared).
 */
class BodyLimit extends Transform {
  private received = 0;
  exceeded = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.limit) {
      this.exceeded = true;
      return done(new Error(`request body over ${this.limit} bytes`));
    }
    done(null, chunk);
  }
}

/**
 * The host's answer to a body over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT. The host leaves the limit
 * to Kestrel (MaxRequestBodySize), which rejects the request with BadHttpRequestException
 * RequestBodyTooLarge: `HTTP/1.1 413 Payload Too Large` (dotnet/aspnetcore Kestrel
 * MaxRequestBodySizeTests), no body, and the connection closed after the answer. The app is not
 * invoked (or, for a body still arriving, its request is cut off).
 */
function refuseBodyTooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(413, { "Content-Length": "0", Connection: "close" });
  res.flushHeaders();
  req.resume();
  lingerThenEnd(req, res);
}

/** Without HTTP streams the request and response travel as RPC data, bodies buffered. */
async function invokeBuffered(
  ctx: HttpTriggerContext,
  fn: RegisteredFunction,
  params: Record<string, string>,
  req: IncomingMessage,
  limited: BodyLimit,
  res: ServerResponse,
  invocationId: string,
  url: URL,
  headers: Record<string, string>,
  triggerMetadata: Record<string, RpcTypedData>,
): Promise<void> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req.pipe(limited)) chunks.push(chunk as Buffer);
  } catch (error) {
    if (!limited.exceeded) throw error;
    req.unpipe(limited);
    return refuseBodyTooLarge(req, res);
  }
  const body = Buffer.concat(chunks);
  const rpcHttp = {
    method: req.method,
    url: url.href,
    headers,
    query: Object.fromEntries(url.searchParams),
    params,
    body: { bytes: body },
  };
  try {
    const outcome = await ctx.invoker.invoke(fn, { invocationId, inputData: [{ name: fn.trigger.name, data: { http: rpcHttp } }, ...ctx.extraInputs(fn)], triggerMetadata });
    const data = (outcome.response.returnValue ?? outcome.response.outputData?.find((o) => o.data?.http)?.data) as { http?: RpcHttpResponse } | undefined;
    const httpOut = data?.http;
    if (!(await answerable(ctx, req, res, fn))) return;
    if (!httpOut) return void res.writeHead(204).end();
    const responseHeaders: string[] = [];
    for (const [name, value] of Object.entries(httpOut.headers ?? {})) responseHeaders.push(name, String(value));
    for (const cookie of httpOut.cookies ?? []) responseHeaders.push("set-cookie", `${cookie.name}=${cookie.value}`);
    res.writeHead(Number(httpOut.statusCode ?? 200), responseHeaders);
    const bytes = httpOut.body?.bytes ?? (httpOut.body?.string !== undefined ? Buffer.from(httpOut.body.string) : undefined);
    res.end(bytes ? Buffer.from(bytes) : undefined);
  } catch (error) {
    ctx.log({ level: "error", category: "system", message: `Executed '${fn.name}' (Failed): ${(error as Error)?.stack ?? error}`, functionName: fn.name, invocationId });
    if (!res.headersSent) res.writeHead(500).end();
  }
}
