/**
 * What an OpenAI-compatible upstream says about its limits in response headers:
 * `retry-after-ms` (Azure, OpenAI), `retry-after` (seconds or an HTTP date),
 * `x-ratelimit-remaining-requests|tokens` and `x-ratelimit-reset-requests|tokens`
 * (durations such as `1s`, `6m0s`, `20ms`, or plain seconds).
 */
export interface RateLimitHints {
  /** How long the upstream asked us to wait before the next request. */
  retryAfterMs?: number;
  /** A limit reported exhausted, and when it resets. */
  exhaustedForMs?: number;
}

const MAX_HONOURED_WAIT_MS = 5 * 60_000;

export function readRateLimitHints(headers: Headers, nowMs: number): RateLimitHints {
  const hints: RateLimitHints = {};
  const retryAfter = retryAfterMs(headers, nowMs);
  if (retryAfter !== undefined) hints.retryAfterMs = Math.min(retryAfter, MAX_HONOURED_WAIT_MS);
  let exhausted: number | undefined;
  for (const limit of ["requests", "tokens"]) {
    const remaining = Number(headers.get(`x-ratelimit-remaining-${limit}`) ?? NaN);
    if (!Number.isFinite(remaining) || remaining > 0) continue;
    const reset = parseDurationMs(headers.get(`x-ratelimit-reset-${limit}`)) ?? 1000;
    exhausted = Math.max(exhausted ?? 0, reset);
  }
  if (exhausted !== undefined) hints.exhaustedForMs = Math.min(exhausted, MAX_HONOURED_WAIT_MS);
  return hints;
}

function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const ms = Number(headers.get("retry-after-ms") ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

/** `1s`, `6m0s`, `1h2m3.5s`, `20ms`, or a bare number of seconds. */
export function parseDurationMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed) return undefined;
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0);
}
