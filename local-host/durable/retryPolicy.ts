/** RetryOptions as they arrive in a CallActivityWithRetry / CallSubOrchestratorWithRetry action. */
export interface RetryOptionsWire {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/**
 * The delay before the next attempt, as DurableTask's RetryInterceptor computes it:
 * first interval x backoff^retryCount, capped by the max interval. Undefined once the retry
 * timeout (counted from the first attempt) has passed: no more attempts.
 */
export function nextRetryDelay(options: RetryOptionsWire, retryCount: number, firstAttemptAt: number, now: number): number | undefined {
  const timeout = options.retryTimeoutInMilliseconds;
  if (timeout !== undefined && timeout > 0 && timeout < Number.MAX_SAFE_INTEGER && now >= firstAttemptAt + timeout) return undefined;
  const coefficient = options.backoffCoefficient && options.backoffCoefficient > 0 ? options.backoffCoefficient : 1;
  const delay = options.firstRetryIntervalInMilliseconds * coefficient ** retryCount;
  const max = options.maxRetryIntervalInMilliseconds;
  return max !== undefined && max > 0 && max < Number.MAX_SAFE_INTEGER && delay > max ? max : delay;
}
