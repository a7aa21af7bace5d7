/**
 * A small client for the Document Intelligence single-document analyze operation
 * (api-version 2024-11-30) with plain fetch: start, poll Operation-Location, return the
 * service's `analyzeResult` untouched. Every request goes through the app-wide rate limiter;
 * throttling (429), 5xx and network failures are retried with backoff (p-retry).
 */
import pRetry, { AbortError } from "p-retry";
import { AnalyzerError, type AnalyzeOptions, type AnalyzerFailureCode, type ServiceErrorDetail } from "../analyzer.js";
import { ANALYZE_API_VERSION, type AnalyzeResult } from "../analyzeResult.js";
import type { RateTimeline } from "../../llm/rateTimeline.js";
import { RateLimiter, systemClock, type Clock } from "./rateLimiter.js";

export const COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default";

/** Anything with getToken, e.g. DefaultAzureCredential. */
export interface TokenSource {
  getToken(scope: string | string[]): Promise<{ token: string } | null>;
}

export interface DocumentIntelligenceClientOptions {
  endpoint: string;
  /** Subscription key; without it `credential` (default: DefaultAzureCredential) is used. */
  key?: string;
  credential?: TokenSource;
  /** Requests per second for everything this client sends. */
  requestsPerSecond: number;
  /** Poll interval when the service sends no Retry-After (default 1000 ms). */
  pollIntervalMs?: number;
  /** Time limit of one HTTP request (default 60 s). */
  requestTimeoutMs?: number;
  /** Retries of one request on transient failures (default 6). */
  retries?: number;
  /** First backoff delay (default 500 ms), doubled each retry. */
  minRetryDelayMs?: number;
  /** Time and waits (request spacing, Retry-After, polling); the system clock by default. */
  clock?: Clock;
  /** The request rate's timeline shared by every app instance (src/storage/tableRateTimeline.ts); default this process's own. */
  timeline?: RateTimeline;
}

/** Status of a started analysis, as the service reports it. */
interface AnalyzeOperation {
  status: "notStarted" | "running" | "succeeded" | "failed" | "canceled";
  error?: ServiceErrorDetail;
  analyzeResult?: AnalyzeResult;
}

class TransientHttpError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryAfterMs: number | undefined,
    readonly serviceError?: ServiceErrorDetail,
  ) {
    super(message);
  }
}

export class DocumentIntelligenceClient {
  private readonly endpoint: string;
  private readonly limiter: RateLimiter;
  private readonly clock: Clock;
  private credential: Promise<TokenSource> | undefined;

  constructor(private readonly options: DocumentIntelligenceClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.clock = options.clock ?? systemClock;
    this.limiter = new RateLimiter(options.requestsPerSecond, this.clock, options.timeline);
    if (options.credential) this.credential = Promise.resolve(options.credential);
  }

  /** Analyzes one document with a model of the service and returns its `analyzeResult`. */
  async analyze(modelId: string, bytes: Uint8Array, options: AnalyzeOptions, signal?: AbortSignal): Promise<AnalyzeResult> {
    const query = new URLSearchParams({ "api-version": ANALYZE_API_VERSION });
    if (options.pages) query.set("pages", options.pages);
    if (options.locale) query.set("locale", options.locale);
    query.set("stringIndexType", options.stringIndexType);
    if (options.features.length) query.set("features", options.features.join(","));
    if (options.queryFields.length) query.set("queryFields", options.queryFields.join(","));
    if (options.outputContentFormat === "markdown") query.set("outputContentFormat", "markdown");
    const url = `${this.endpoint}/documentintelligence/documentModels/${encodeURIComponent(modelId)}:analyze?${query}`;

    const started = await this.send("POST", url, signal, bytes);
    if (started.status !== 202) throw await this.permanentError(started, modelId);
    const operationLocation = started.headers.get("operation-location");
    if (!operationLocation) throw new AnalyzerError("InternalServerError", "Document Intelligence accepted the document without an Operation-Location.");
    let wait = retryAfterMs(started.headers, this.clock) ?? this.options.pollIntervalMs ?? 1000;

    for (;;) {
      await this.clock.sleep(wait, signal);
      const polled = await this.send("GET", operationLocation, signal);
      if (polled.status !== 200) throw await this.permanentError(polled, modelId);
      const operation = (await polled.json()) as AnalyzeOperation;
      if (operation.status === "succeeded") {
        if (!operation.analyzeResult) throw new AnalyzerError("InternalServerError", "Document Intelligence succeeded without an analyzeResult.");
        return operation.analyzeResult;
      }
      if (operation.status === "failed" || operation.status === "canceled") throw fromServiceError(operation.error, 400, modelId);
      wait = retryAfterMs(polled.headers, this.clock) ?? this.options.pollIntervalMs ?? 1000;
    }
  }

  /** Whether the service knows the model (GET documentModels/{modelId}). */
  async modelExists(modelId: string, signal?: AbortSignal): Promise<boolean> {
    const url = `${this.endpoint}/documentintelligence/documentModels/${encodeURIComponent(modelId)}?api-version=${ANALYZE_API_VERSION}`;
    const response = await this.send("GET", url, signal);
    if (response.status === 200) {
      await response.body?.cancel();
      return true;
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return false;
    }
    throw await this.permanentError(response, modelId);
  }

  /**
   * One HTTP request, rate limited, retried on 429/5xx/network errors. Returns any other answer
   * (2xx or a permanent 4xx) for the caller to read.
   */
  private async send(method: "GET" | "POST", url: string, signal: AbortSignal | undefined, body?: Uint8Array): Promise<Response> {
    try {
      return await pRetry(
        async () => {
          await this.limiter.take(signal);
          const headers: Record<string, string> = await this.authHeaders();
          if (body) headers["content-type"] = "application/octet-stream";
          const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? 60_000);
          let response: Response;
          try {
            response = await fetch(url, { method, headers, body: body as Uint8Array<ArrayBuffer> | undefined, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
          } catch (error) {
            if (signal?.aborted) throw new AbortError(new AnalyzerError("Timeout", "The document took longer than its time limit to analyze.", { cause: error }));
            throw new TransientHttpError(`Document Intelligence did not answer: ${(error as Error).message}`, undefined, undefined);
          }
          if (response.status === 429 || response.status >= 500) {
            const wait = retryAfterMs(response.headers, this.clock);
            const serviceError = await readServiceError(response);
            if (response.status === 429) this.limiter.pause(wait ?? 1000);
            throw new TransientHttpError(`Document Intelligence answered ${response.status}`, response.status, wait, serviceError);
          }
          return response;
        },
        {
          retries: this.options.retries ?? 6,
          minTimeout: this.options.minRetryDelayMs ?? 500,
          factor: 2,
          randomize: true,
          signal,
          shouldRetry: ({ error }) => error instanceof TransientHttpError,
        },
      );
    } catch (error) {
      if (error instanceof AnalyzerError) throw error;
      if (error instanceof TransientHttpError) {
        const code: AnalyzerFailureCode = error.status === 429 ? "Throttled" : "ServiceUnavailable";
        throw new AnalyzerError(code, `${error.message}${error.serviceError ? `: ${error.serviceError.message}` : ""}`, {
          transient: true,
          retryAfterMs: error.retryAfterMs,
          serviceError: error.serviceError,
          cause: error,
        });
      }
      if (signal?.aborted) throw new AnalyzerError("Timeout", "The document took longer than its time limit to analyze.", { cause: error });
      throw new AnalyzerError("InternalServerError", `Calling Document Intelligence failed: ${(error as Error).message}`, { cause: error });
    }
  }

  private async authHeaders(): Promise<Record<string, string>> {
    if (this.options.key) return { "ocp-apim-subscription-key": this.options.key };
    this.credential ??= import("@azure/identity").then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
    const token = await (await this.credential).getToken(COGNITIVE_SERVICES_SCOPE);
    if (!token) throw new AbortError(new AnalyzerError("ServiceUnavailable", "No token for Document Intelligence from the managed identity."));
    return { authorization: `Bearer ${token.token}` };
  }

  private async permanentError(response: Response, modelId: string): Promise<AnalyzerError> {
    return fromServiceError(await readServiceError(response), response.status, modelId);
  }
}

/** Retry-After in seconds (or an HTTP date), as milliseconds. */
function retryAfterMs(headers: Headers, clock: Clock): number | undefined {
  const value = headers.get("retry-after-ms") ?? undefined;
  if (value && Number.isFinite(Number(value))) return Number(value);
  const retryAfter = headers.get("retry-after");
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(retryAfter);
  return Number.isFinite(date) ? Math.max(0, date - clock.now()) : undefined;
}

async function readServiceError(response: Response): Promise<ServiceErrorDetail | undefined> {
  try {
    const text = await response.text();
    const body = JSON.parse(text) as { error?: ServiceErrorDetail };
    return body.error && typeof body.error.code === "string" ? body.error : undefined;
  } catch {
    return undefined;
  }
}

const passThroughCodes = new Set<AnalyzerFailureCode>(["InvalidContent", "UnsupportedContent", "ContentTooLarge", "PasswordProtected", "InvalidPages", "ModelNotFound"]);
const innerCodeMap: Record<string, AnalyzerFailureCode> = {
  InvalidContentLength: "ContentTooLarge",
  ContentSourceTooLarge: "ContentTooLarge",
  InvalidContentDimensions: "InvalidContent",
  UnsupportedContent: "UnsupportedContent",
  PasswordProtected: "PasswordProtected",
  ModelNotFound: "ModelNotFound",
};

/** A permanent answer of the service as an AnalyzerError carrying the service's own error. */
function fromServiceError(error: ServiceErrorDetail | undefined, status: number, modelId: string): AnalyzerError {
  const inner = error?.innererror?.code;
  let code: AnalyzerFailureCode;
  if (status === 404 || inner === "ModelNotFound" || error?.code === "ModelNotFound") code = "ModelNotFound";
  else if (inner && passThroughCodes.has(inner as AnalyzerFailureCode)) code = inner as AnalyzerFailureCode;
  else if (inner && innerCodeMap[inner]) code = innerCodeMap[inner];
  else if (error?.target === "pages" || /pages/i.test(inner ?? "")) code = "InvalidPages";
  else if (status === 401 || status === 403) code = "ServiceUnavailable";
  else if (status === 413) code = "ContentTooLarge";
  else code = "InvalidContent";
  const message =
    code === "ModelNotFound" && !error
      ? `Document Intelligence does not know model ${modelId}.`
      : `Document Intelligence: ${error?.innererror?.message ?? error?.message ?? `answered ${status}`}${error?.code ? ` (${error.code}${inner ? `/${inner}` : ""})` : ""}`;
  return new AnalyzerError(code, message, { serviceError: error });
}
