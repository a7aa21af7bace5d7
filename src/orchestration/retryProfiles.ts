import * as df from "durable-functions";

/**
 * Retry policies of activities, named once. `storage`: status writes and listing, which fail
 * only when storage is unreachable (or the host shuts down mid-item). `finalize`: assembling
 * a batch's outputs, which may take long and is worth more patience.
 */
export const RetryProfiles = {
  storage: () => retry({ firstMs: 2_000, attempts: 6, maxIntervalMs: 60_000 }),
  finalize: () => retry({ firstMs: 1_000, attempts: 10, maxIntervalMs: 300_000 }),
} as const;

export type RetryProfile = keyof typeof RetryProfiles;

function retry(options: { firstMs: number; attempts: number; maxIntervalMs: number }): df.RetryOptions {
  const policy = new df.RetryOptions(options.firstMs, options.attempts);
  policy.backoffCoefficient = 2;
  policy.maxRetryIntervalInMilliseconds = options.maxIntervalMs;
  return policy;
}
