import pRetry from "p-retry";

/**
 * Azure role assignments take effect up to about ten minutes after they are made, so an app
 * deployed with its roles can see 403 from its own storage account and Key Vault on its first
 * start. These waits retry such refusals with backoff instead of failing the start; what still
 * fails afterwards is an AccessPendingError, a 503 (transient: callers get Retry-After, the
 * engine retries the work).
 */
export class AccessPendingError extends Error {
  readonly statusCode = 503;
  constructor(what: string, options: { cause?: unknown } = {}) {
    super(`${what} refused docbatch's identity. Azure role assignments take up to ten minutes to take effect after a deployment; retry shortly. If this persists, check the identity's roles (docs/deploy.md).`, options);
    this.name = "AccessPendingError";
  }
}

export interface AccessWait {
  /** Retries after the first try (default 8: about ten minutes with the default delays). */
  retries?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** For a call a caller waits on: one quick retry, then the 503 (the caller retries after Retry-After). */
export const REQUEST_PATH_ACCESS_WAIT: AccessWait = { retries: 1, minDelayMs: 1_000, maxDelayMs: 2_000 };

/** A refusal of the identity (401/403) that a role still propagating explains. */
export function isAccessRefusal(error: unknown): boolean {
  const status = (error as { statusCode?: number })?.statusCode;
  return status === 401 || status === 403;
}

/** Runs `attempt`, retrying refusals of the identity with backoff; then an AccessPendingError. */
export async function untilAccessGranted<T>(what: string, attempt: () => Promise<T>, wait: AccessWait = {}): Promise<T> {
  try {
    return await pRetry(attempt, {
      retries: wait.retries ?? 8,
      minTimeout: wait.minDelayMs ?? 5_000,
      maxTimeout: wait.maxDelayMs ?? 120_000,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => isAccessRefusal(error),
    });
  } catch (error) {
    if (isAccessRefusal(error)) throw new AccessPendingError(what, { cause: error });
    throw error;
  }
}
