/**
 * A fake OpenAI-compatible upstream of the tests' own, on a loopback port: `/v1/chat/completions`,
 * `/v1/embeddings`, `/v1/completions`, `/v1/responses`, `GET /v1/models` (also under
 * `/openai/v1/...` and Azure's `/openai/deployments/{name}/...`). It enforces a request and a
 * token limit over a sliding window with real 429 answers and headers, as Azure OpenAI does,
 * and lets a test script failures or answer requests itself.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeEndpoint = "/chat/completions" | "/embeddings" | "/completions" | "/responses";

export interface FakeRequest {
  endpoint: FakeEndpoint;
  /** `body.model`, or the deployment named in an Azure deployment path. */
  model: string;
  body: Record<string, unknown>;
  headers: IncomingMessage["headers"];
  /** All text the model would read (messages, input, prompt), joined by newlines. */
  promptText: string;
}

export interface FakeAnswer {
  status?: number;
  /** A JSON body (default: the endpoint's usual answer; for errors, an OpenAI error object). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** For a default chat answer: the assistant message's content. */
  content?: string;
}

export interface FakeRule {
  match?: (request: FakeRequest) => boolean;
  /** How many requests the rule answers (default: every matching one). */
  times?: number;
  answer: FakeAnswer | ((request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>);
}

export interface FakeLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /**
   * Window the limits are enforced over (default 60 s); a limit applies pro rata to it, as
   * Azure enforces its RPM over short windows.
   */
  windowMs?: number;
}

export interface FakeOpenAiUpstreamOptions extends FakeLimits {
  /** Models (Azure: deployments) it serves; default any. */
  models?: string[];
  /** Required as `Authorization: Bearer` or `api-key` when set. */
  apiKey?: string;
  /** Delay of every answer (default 0). */
  latencyMs?: number;
}

export interface RecordedRequest {
  endpoint: string;
  model: string;
  body: Record<string, unknown>;
  status: number;
  /** Tokens counted against the limit: prompt text / 4 + max tokens. */
  tokens: number;
  at: number;
}

export interface FakeOpenAiUpstream {
  /** Base URL including `/v1`, as DOCBATCH_LLM_ENDPOINT wants it. */
  readonly baseUrl: string;
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** Requests answered 429 by the limits. */
  readonly throttled: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Scripts answers; the latest matching rule wins. Returns a function that removes it. */
  script(rule: FakeRule): () => void;
  /** Answers matching requests once with a 500. */
  failOnce(match: FakeRule["match"], status?: number): void;
  /** Rejects matching requests with a 400 (or `status`) and an OpenAI error body. */
  reject(match: FakeRule["match"], options?: { status?: number; message?: string; code?: string }): void;
  setLimits(limits: FakeLimits): void;
  /** Forgets rules, records and counters. */
  reset(): void;
  close(): Promise<void>;
}

const FAKE_DEFAULT_MAX_TOKENS = 16;
const ENDPOINTS: readonly FakeEndpoint[] = ["/chat/completions", "/embeddings", "/completions", "/responses"];

export async function startFakeOpenAiUpstream(options: FakeOpenAiUpstreamOptions = {}): Promise<FakeOpenAiUpstream> {
  let limits: FakeLimits = { requestsPerMinute: options.requestsPerMinute, tokensPerMinute: options.tokensPerMinute, windowMs: options.windowMs };
  let rules: (FakeRule & { left: number })[] = [];
  let admitted: { at: number; tokens: number }[] = [];
  const requests: RecordedRequest[] = [];
  const state = { throttled: 0, inFlight: 0, maxInFlight: 0 };

  const server = createServer((req, res) => {
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    handle(req, res)
      .catch((error: unknown) => send(res, 500, { error: { message: String(error), type: "server_error", param: null, code: null } }))
      .finally(() => {
        state.inFlight -= 1;
      });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    if (options.apiKey) {
      const presented = req.headers["api-key"] ?? req.headers.authorization?.replace(/^Bearer\s+/i, "");
      if (presented !== options.apiKey) return send(res, 401, openAiError("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"));
    }
    if (req.method === "GET" && url.pathname.endsWith("/models")) {
      const data = (options.models ?? []).map((id) => ({ id, object: "model", created: 0, owned_by: "fake" }));
      return send(res, 200, { object: "list", data });
    }
    const endpoint = ENDPOINTS.find((e) => url.pathname.endsWith(e));
    if (req.method !== "POST" || !endpoint) return send(res, 404, openAiError(`Unknown path ${req.method} ${url.pathname}.`, "invalid_request_error", "not_found"));

    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readText(req)) as Record<string, unknown>;
    } catch {
      return send(res, 400, openAiError("We could not parse the JSON body of your request.", "invalid_request_error", null));
    }
    const deployment = /\/deployments\/([^/]+)\//.exec(url.pathname)?.[1];
    const model = deployment ? decodeURIComponent(deployment) : typeof body.model === "string" ? body.model : "";
    const request: FakeRequest = { endpoint, model, body, headers: req.headers, promptText: promptText(body) };
    const tokens = countTokens(request);
    const record = (status: number) => requests.push({ endpoint, model, body, status, tokens, at: Date.now() });

    if (options.models && !options.models.includes(model)) {
      record(404);
      return send(res, 404, openAiError(`The model \`${model}\` does not exist or you do not have access to it.`, "invalid_request_error", "model_not_found"));
    }

    const verdict = admit(tokens);
    if (!verdict.ok) {
      state.throttled += 1;
      record(429);
      return send(res, 429, openAiError("Rate limit reached. Please retry after the time the headers give.", "requests", "rate_limit_exceeded"), verdict.headers);
    }

    const rule = [...rules].reverse().find((r) => r.left > 0 && (!r.match || r.match(request)));
    if (rule) rule.left -= 1;
    const scripted = rule ? (typeof rule.answer === "function" ? await rule.answer(request) : rule.answer) : {};
    const delay = (scripted.delayMs ?? 0) + (options.latencyMs ?? 0);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const status = scripted.status ?? 200;
    const answer = scripted.body ?? (status < 400 ? defaultAnswer(request, scripted.content) : openAiError(`Scripted failure ${status}.`, status >= 500 ? "server_error" : "invalid_request_error", null));
    record(status);
    send(res, status, answer, { ...verdict.headers, ...scripted.headers });
  }

  /** A sliding window over the last `windowMs`, both limits pro rata, as Azure counts at admission. */
  function admit(tokens: number): { ok: boolean; headers: Record<string, string> } {
    const windowMs = limits.windowMs ?? 60_000;
    const now = Date.now();
    admitted = admitted.filter((entry) => entry.at > now - windowMs);
    const requestLimit = limits.requestsPerMinute ? Math.max(1, Math.floor((limits.requestsPerMinute * windowMs) / 60_000)) : Infinity;
    const tokenLimit = limits.tokensPerMinute ? Math.max(1, Math.floor((limits.tokensPerMinute * windowMs) / 60_000)) : Infinity;
    const usedTokens = admitted.reduce((sum, entry) => sum + entry.tokens, 0);
    const headers: Record<string, string> = { "x-request-id": `req_${randomUUID().replaceAll("-", "")}` };
    const resetIn = (need: (entries: typeof admitted) => boolean) => {
      for (let i = 0; i < admitted.length; i += 1) if (need(admitted.slice(i + 1))) return Math.max(1, admitted[i]!.at + windowMs - now);
      return windowMs;
    };
    const requestsOver = admitted.length + 1 > requestLimit;
    const tokensOver = usedTokens + tokens > tokenLimit && admitted.length > 0;
    if (Number.isFinite(requestLimit)) {
      headers["x-ratelimit-limit-requests"] = String(requestLimit);
      headers["x-ratelimit-remaining-requests"] = String(Math.max(0, requestLimit - admitted.length - (requestsOver ? 0 : 1)));
      headers["x-ratelimit-reset-requests"] = `${admitted.length ? resetIn((rest) => rest.length + 1 <= requestLimit) : 0}ms`;
    }
    if (Number.isFinite(tokenLimit)) {
      headers["x-ratelimit-limit-tokens"] = String(tokenLimit);
      headers["x-ratelimit-remaining-tokens"] = String(Math.max(0, tokenLimit - usedTokens - (tokensOver ? 0 : tokens)));
      headers["x-ratelimit-reset-tokens"] = `${admitted.length ? resetIn((rest) => rest.reduce((s, e) => s + e.tokens, 0) + tokens <= tokenLimit) : 0}ms`;
    }
    if (requestsOver || tokensOver) {
      const waitMs = Math.max(requestsOver ? resetIn((rest) => rest.length + 1 <= requestLimit) : 0, tokensOver ? resetIn((rest) => rest.reduce((s, e) => s + e.tokens, 0) + tokens <= tokenLimit) : 0);
      headers["retry-after-ms"] = String(waitMs);
      headers["retry-after"] = String(Math.ceil(waitMs / 1000));
      return { ok: false, headers };
    }
    admitted.push({ at: now, tokens });
    return { ok: true, headers };
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const addRule = (rule: FakeRule) => {
    const entry = { ...rule, left: rule.times ?? Infinity };
    rules.push(entry);
    return () => {
      rules = rules.filter((r) => r !== entry);
    };
  };

  return {
    baseUrl: `${origin}/v1`,
    origin,
    requests,
    get throttled() {
      return state.throttled;
    },
    get inFlight() {
      return state.inFlight;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    script: addRule,
    failOnce: (match, status = 500) => void addRule({ match, times: 1, answer: { status } }),
    reject: (match, { status = 400, message = "Invalid request (scripted).", code = "invalid_value" } = {}) =>
      void addRule({ match, answer: { status, body: openAiError(message, "invalid_request_error", code) } }),
    setLimits: (next) => {
      limits = { ...limits, ...next };
    },
    reset: () => {
      rules = [];
      admitted = [];
      requests.length = 0;
      state.throttled = 0;
      state.maxInFlight = state.inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function openAiError(message: string, type: string, code: string | null) {
  return { error: { message, type, param: null, code } };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function promptText(body: Record<string, unknown>): string {
  const texts: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === "string") texts.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      const part = value as Record<string, unknown>;
      if ("content" in part) visit(part.content);
      else if ("text" in part) visit(part.text);
    }
  };
  for (const field of ["messages", "input", "prompt", "instructions"]) visit(body[field]);
  return texts.join("\n");
}

function countTokens(request: FakeRequest): number {
  const prompt = Math.ceil(request.promptText.length / 4);
  if (request.endpoint === "/embeddings") return Math.max(1, prompt);
  const body = request.body;
  const limit = [body.max_completion_tokens, body.max_tokens, body.max_output_tokens].find((v): v is number => typeof v === "number");
  return Math.max(1, prompt + (limit ?? FAKE_DEFAULT_MAX_TOKENS));
}

function defaultAnswer(request: FakeRequest, content: string | undefined): unknown {
  const created = Math.floor(Date.now() / 1000);
  const promptTokens = Math.max(1, Math.ceil(request.promptText.length / 4));
  let text = content ?? defaultContent(request);
  let completionTokens = Math.max(1, Math.ceil(text.length / 4));
  // As the real service does: an answer longer than the request's output limit is cut off there.
  const limit = [request.body.max_completion_tokens, request.body.max_tokens].find((v): v is number => typeof v === "number" && v > 0);
  const cutOff = request.endpoint === "/chat/completions" && limit !== undefined && completionTokens > limit;
  if (cutOff) {
    text = text.slice(0, limit * 4);
    completionTokens = limit;
  }
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  switch (request.endpoint) {
    case "/chat/completions":
      return {
        id: `chatcmpl-${randomUUID()}`,
        object: "chat.completion",
        created,
        model: request.model,
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: cutOff ? "length" : "stop", logprobs: null }],
        usage,
      };
    case "/completions":
      return { id: `cmpl-${randomUUID()}`, object: "text_completion", created, model: request.model, choices: [{ index: 0, text, finish_reason: "stop", logprobs: null }], usage };
    case "/embeddings": {
      const input = request.body.input;
      const inputs = Array.isArray(input) && input.some((item) => typeof item !== "number") ? input : [input];
      const data = inputs.map((item, index) => ({ object: "embedding", index, embedding: embed(JSON.stringify(item)) }));
      return { object: "list", data, model: request.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
    }
    case "/responses":
      return {
        id: `resp_${randomUUID().replaceAll("-", "")}`,
        object: "response",
        created_at: created,
        status: "completed",
        model: request.model,
        output: [{ type: "message", id: `msg_${randomUUID().replaceAll("-", "")}`, status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] }],
        usage: { input_tokens: promptTokens, output_tokens: completionTokens, total_tokens: promptTokens + completionTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
      };
  }
}

/** JSON for a requested schema (response_format json_schema / text.format), else an echo of the last prompt text. */
function defaultContent(request: FakeRequest): string {
  const format = (request.body.response_format ?? (request.body.text as { format?: unknown } | undefined)?.format) as
    | { type?: string; json_schema?: { schema?: unknown }; schema?: unknown }
    | undefined;
  if (format?.type === "json_schema") return JSON.stringify(exampleOf(format.json_schema?.schema ?? format.schema));
  if (format?.type === "json_object") return "{}";
  const lines = request.promptText.split("\n");
  return `echo: ${lines[lines.length - 1] ?? ""}`;
}

/** A value that satisfies a simple JSON Schema: every property present, the first enum value, empty arrays. */
export function exampleOf(schema: unknown): unknown {
  const s = (schema ?? {}) as { type?: string | string[]; properties?: Record<string, unknown>; items?: unknown; enum?: unknown[]; anyOf?: unknown[]; const?: unknown };
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  if (s.anyOf?.length) return exampleOf(s.anyOf[0]);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([key, value]) => [key, exampleOf(value)]));
    case "array":
      return [];
    case "string":
      return "";
    case "number":
    case "integer":
      return 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return s.properties ? exampleOf({ ...s, type: "object" }) : null;
  }
}

function embed(text: string): number[] {
  const vector = Array.from({ length: 8 }, (_, i) => Math.sin(text.length * (i + 1)));
  return vector;
}
