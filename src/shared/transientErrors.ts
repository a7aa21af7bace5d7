import { AnalyzerError } from "../analyzers/analyzer.js";

/** Storage and analyzer failures worth trying again. */
export function isTransient(error: unknown): boolean {
  if (error instanceof AnalyzerError) return error.transient;
  // A try cut at its timeout (the request path's storage clients, AbortSignal.timeout).
  const name = (error as { name?: string })?.name;
  if (name === "AbortError" || name === "TimeoutError") return true;
  const status = (error as { statusCode?: number })?.statusCode;
  if (status === undefined) {
    const code = (error as { code?: string })?.code ?? "";
    return ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "REQUEST_SEND_ERROR"].includes(code);
  }
  return status === 408 || status === 429 || status >= 500;
}
