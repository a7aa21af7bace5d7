import { AccessPendingError } from "../../shared/accessPending.js";
import { isTransient } from "../../shared/transientErrors.js";
import { HttpProblem } from "./httpProblem.js";
import type { ApiResponse } from "./types.js";

/**
 * How a front door answers in its own error format. `own` renders the errors its code throws on
 * purpose (DiError, an OpenAI error ...) and returns undefined for anything else; `problem`
 * renders the shared plumbing's failures (HttpProblem: 401, 413, 400 unreadable body, 503, 500).
 */
export interface ErrorRenderer {
  own(error: unknown): ApiResponse | undefined;
  problem(problem: HttpProblem): ApiResponse;
}

export interface ServeOptions {
  errors: ErrorRenderer;
  /** Where unexpected failures are reported (the invocation's error log); `what` names the request. */
  logError?: (what: string, error: unknown) => void;
  /** Seconds a client should wait before retrying after a 503; default 5. */
  retryAfterSeconds?: number;
}

/**
 * Runs one request of a front door: whatever `handle` throws becomes an answer in that front
 * door's format. Its own errors as it renders them; storage or the orchestration backend not
 * answering → 503 with Retry-After; anything else → 500, logged. Never a crash or a bare 500.
 *
 * A new front door (src/functions/<door>Api.ts):
 * ```ts
 * handler: (request, context) => serve(request, { errors: openAiErrors, logError: (w, e) => context.error(w, e) },
 *   async () => { requireApiKey(request.headers, keys); const body = await readJsonBody(request, { limitBytes }); ... })
 * ```
 */
export async function serve(request: { method: string; url: string }, options: ServeOptions, handle: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await handle();
  } catch (error) {
    const own = options.errors.own(error);
    if (own) return own;
    if (error instanceof HttpProblem) return options.errors.problem(error);
    options.logError?.(`${request.method} ${new URL(request.url).pathname} failed`, error);
    return options.errors.problem(unexpected(error, options.retryAfterSeconds ?? 5));
  }
}

/** Failures that are not the caller's: storage or the orchestration backend unreachable, or a bug. */
function unexpected(error: unknown, retryAfterSeconds: number): HttpProblem {
  // A fresh deployment whose identity's roles are still taking effect: say so.
  if (error instanceof AccessPendingError) return new HttpProblem(503, "ServiceUnavailable", error.message, { "retry-after": String(Math.max(retryAfterSeconds, 30)) });
  if (isTransient(error)) {
    return new HttpProblem(503, "ServiceUnavailable", "docbatch's storage is not answering right now. Retry the request after a short wait.", {
      "retry-after": String(retryAfterSeconds),
    });
  }
  return new HttpProblem(500, "InternalError", "An unexpected error occurred. Retry the request; if it keeps failing, check the app's logs.");
}
