/**
 * The client of OpenAI-compatible upstreams (Azure OpenAI, OpenAI, vLLM, Ollama, LiteLLM):
 * sends a request body as it is to `{endpoint}{path}`, staying under the upstream's RPM and TPM
 * for the whole app (one RateBudget per upstream per process), honouring what the upstream says
 * about its limits, and retrying 408/429/5xx, timeouts and connection failures with backoff
 * (p-retry). Any other answer, 4xx included, is returned as it is for the caller to keep.
 */
import { createHash, randomUUID } from "node:crypto";
import pRetry, { AbortError } from "p-retry";
import type { LlmUpstreamSettings } from "../config/settings.js";
import { isLoopbackHost } from "../shared/loopback.js";
import { systemClock, type Clock } from "../shared/waitClock.js";
import { RateBudget } from "./rateBudget.js";
import type { RateTimeline } from "./rateTimeline.js";
import { readRateLimitHints } from "./rateLimitHeaders.js";
import { estimateTokens, readUsage, type TokenUsage } from "./tokenEstimate.js";
import { upstreamAuth, type AuthHeaders, type TokenCredentialLike } from "./upstreamAuth.js";

/** Paths under the upstream's base URL that docbatch sends requests to. */
export const LLM_PATHS = ["/chat/completions", "/embeddings", "/completions", "/responses", "/moderations"] as const;
export type LlmPath = (typeof LLM_PATHS)[number];

export interface LlmRequest {
  path: LlmPath;
  /** Sent as JSON, unchanged; `model` picks the upstream. */
  body: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface LlmResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the upstream answered JSON, else the text. */
  body: unknown;
  /** The upstream's request id (`x-request-id`, `apim-request-id`), else one of docbatch's own. */
  requestId: string;
  /** The answer's `usage`, when it has one. */
  usage?: TokenUsage;
}

export interface LlmUpstream {
  /** Whether some configured upstream serves this model (or deployment) name. */
  serves(model: string): boolean;
  /**
   * Sends one request to the upstream serving `body.model`. Resolves with any answer that
   * retrying cannot change (2xx, 4xx other than 408/429). Throws UpstreamUnavailableError when
   * retries ran out, the signal's reason when it aborts, and an Error when no upstream serves the model.
   */
  send(request: LlmRequest): Promise<LlmResponse>;
}

export type UnavailableReason = "throttled" | "server_error" | "timeout" | "connection";

/** The upstream stayed throttled or unavailable through every retry. Worth trying later. */
export class UpstreamUnavailableError extends Error {
  override readonly name = "UpstreamUnavailableError";
  constructor(
    readonly reason: UnavailableReason,
    message: string,
    readonly details: { status?: number; body?: unknown; requestId?: string; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
  }
}

export interface LlmUpstreamOptions {
  /** Time and waits (spacing, retry-after, backoff); the system clock by default. */
  clock?: Clock;
  /** For Azure endpoints without a key; DefaultAzureCredential by default. */
  credential?: () => Promise<TokenCredentialLike>;
  /** Time limit of one attempt (default 10 minutes: long completions are normal). */
  requestTimeoutMs?: number;
  /** Retries of one request (default 10). */
  retries?: number;
  /** First backoff delay (default 1 s), doubled each retry up to `maxRetryDelayMs` (default 60 s). */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /**
   * The rate timeline of an upstream, by key, shared by every app instance (a storage table:
   * src/storage/tableRateTimeline.ts). Default: each budget keeps a timeline of its own (this process only).
   */
  timelines?: (key: string) => RateTimeline;
  /** Aborted when this instance stops: its unspent share of the timeline is given back. */
  shutdown?: AbortSignal;
}

interface SettingsWithUpstreams {
  llmUpstreams: readonly LlmUpstreamSettings[];
  allowLoopbackHttp: boolean;
}

/** Builds a client with budgets of its own. Use sharedLlmUpstream in the app, so limits hold app-wide. */
export function createLlmUpstream(settings: SettingsWithUpstreams, options: LlmUpstreamOptions = {}): LlmUpstream {
  const upstreams = settings.llmUpstreams.map((upstream) => new Upstream(upstream, settings.allowLoopbackHttp, options));
  const pick = (model: string) => upstreams.find((u) => u.models.has(model)) ?? upstreams.find((u) => u.models.has("*"));
  return {
    serves: (model) => pick(model) !== undefined,
    send: (request) => {
      const model = typeof request.body.model === "string" ? request.body.model : "";
      const upstream = pick(model);
      if (!upstream) return Promise.reject(new Error(`No LLM upstream serves model '${model}' (DOCBATCH_LLM_MODELS).`));
      return upstream.send(request);
    },
  };
}

const shared = new Map<string, LlmUpstream>();

/**
 * One client per distinct configuration in this process: every front door and analyzer that
 * calls the LLM shares its budgets, so the limits hold for the whole app instance.
 */
export function sharedLlmUpstream(settings: SettingsWithUpstreams, options: LlmUpstreamOptions = {}): LlmUpstream {
  const key = JSON.stringify([settings.llmUpstreams, settings.allowLoopbackHttp]);
  let upstream = shared.get(key);
  if (!upstream) {
    upstream = createLlmUpstream(settings, options);
    shared.set(key, upstream);
  }
  return upstream;
}

class Upstream {
  readonly models: Set<string>;
  private readonly base: string;
  private readonly budget: RateBudget;
  private readonly auth: AuthHeaders;
  private readonly clock: Clock;

  constructor(
    settings: LlmUpstreamSettings,
    allowLoopbackHttp: boolean,
    private readonly options: LlmUpstreamOptions,
  ) {
    const endpoint = checkedEndpoint(settings.endpoint, allowLoopbackHttp);
    this.base = endpoint.href.replace(/\/+$/, "");
    this.models = new Set(settings.models);
    this.clock = options.clock ?? systemClock;
    this.budget = new RateBudget(settings, this.clock, { timeline: options.timelines?.(timelineKeyOf(this.base)) });
    options.shutdown?.addEventListener("abort", () => void this.budget.release().catch(() => undefined), { once: true });
    this.auth = upstreamAuth({ endpoint, apiKey: settings.apiKey, credential: options.credential });
  }

  async send({ path, body, signal }: LlmRequest): Promise<LlmResponse> {
    if (!LLM_PATHS.includes(path)) throw new Error(`docbatch does not send requests to '${path}'.`);
    const text = JSON.stringify(body);
    const estimate = estimateTokens(path, body);
    try {
      return await pRetry(() => this.attempt(`${this.base}${path}`, text, estimate, signal), {
        retries: this.options.retries ?? 10,
        minTimeout: 0, // waits happen on the injected clock, in onFailedAttempt
        signal,
        shouldRetry: ({ error }) => error instanceof UpstreamUnavailableError,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (!(error instanceof UpstreamUnavailableError) || retriesLeft <= 0) return;
          const backoff = this.backoffMs(attemptNumber);
          // A throttle holds back every request to this upstream; other failures only this one.
          if (error.reason === "throttled") this.budget.pause(error.details.retryAfterMs ?? backoff);
          else await this.clock.sleep(error.details.retryAfterMs ?? backoff, signal);
        },
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  }

  private async attempt(url: string, text: string, estimate: number, signal: AbortSignal | undefined): Promise<LlmResponse> {
    await this.budget.take(estimate, signal);
    const headers = { ...(await this.auth()), "content-type": "application/json", accept: "application/json" };
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? 600_000);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    let answer: string;
    try {
      response = await fetch(url, { method: "POST", headers, body: text, signal: combined });
      answer = await response.text();
    } catch (error) {
      if (signal?.aborted) throw new AbortError(signal.reason instanceof Error ? signal.reason : String(signal.reason));
      const reason: UnavailableReason = timeout.aborted ? "timeout" : "connection";
      throw new UpstreamUnavailableError(reason, `The LLM upstream ${reason === "timeout" ? "did not answer in time" : `could not be reached: ${(error as Error).message}`}.`, { cause: error });
    }

    const requestId = response.headers.get("x-request-id") ?? response.headers.get("apim-request-id") ?? `req_${randomUUID().replaceAll("-", "")}`;
    const body = parseBody(answer, response.headers.get("content-type"));
    const hints = readRateLimitHints(response.headers, this.clock.now());
    if (hints.exhaustedForMs !== undefined) this.budget.pause(hints.exhaustedForMs);
    if (response.status === 429 || response.status === 408 || response.status >= 500) {
      const reason: UnavailableReason = response.status === 429 ? "throttled" : response.status === 408 ? "timeout" : "server_error";
      throw new UpstreamUnavailableError(reason, `The LLM upstream answered ${response.status}.`, { status: response.status, body, requestId, retryAfterMs: hints.retryAfterMs });
    }
    const usage = readUsage(body);
    if (usage) this.budget.charge(usage.totalTokens - estimate);
    return { status: response.status, headers: Object.fromEntries(response.headers), body, requestId, ...(usage ? { usage } : {}) };
  }

  private backoffMs(attemptNumber: number): number {
    const min = this.options.minRetryDelayMs ?? 1000;
    const max = this.options.maxRetryDelayMs ?? 60_000;
    const jitter = 1 + Math.random() * 0.25;
    return Math.min(max, min * 2 ** (attemptNumber - 1) * jitter);
  }
}

/** One timeline per upstream endpoint, whatever models it serves (its limits are the deployment's). */
export function timelineKeyOf(endpoint: string): string {
  return `llm-${createHash("sha256").update(endpoint).digest("hex").slice(0, 32)}`;
}

function checkedEndpoint(value: string, allowLoopbackHttp: boolean): URL {
  const endpoint = new URL(value);
  if (endpoint.search || endpoint.hash) throw new Error("DOCBATCH_LLM_ENDPOINT must be a base URL without query or fragment.");
  if (endpoint.username || endpoint.password) throw new Error("DOCBATCH_LLM_ENDPOINT must not carry credentials; use DOCBATCH_LLM_API_KEY.");
  if (endpoint.protocol === "https:") return endpoint;
  if (endpoint.protocol === "http:" && isLoopbackHost(endpoint.hostname) && allowLoopbackHttp) return endpoint;
  throw new Error(`DOCBATCH_LLM_ENDPOINT must use https (plain http only on loopback with DOCBATCH_ALLOW_LOOPBACK_HTTP=true): ${endpoint.origin}.`);
}

function parseBody(text: string, contentType: string | null): unknown {
  if (!/\bjson\b/i.test(contentType ?? "") && !/^\s*[{[]/.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
