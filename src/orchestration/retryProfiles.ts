import * as df from "durable-functions";

/**
 * Retry policies of activities, named once. `storage`: status writes and listing, which fail
 * only when storage is unreachable (or the host shuts down mid-item). `finalize`: assembling
 * a batch's outputs, which may take long and is worth more patience.
 */
export const RetryProfiles = {
  storage: () => retry({ firstMs: 2_000, attempts: 6, maxIntervalMs: 60_000 }),
  finalize: () => retry({ firstMs: 1_000, attempts: 10, maxIntervalMs: 300_000 }),
  /**
   * A webhook delivery: 8 attempts, waiting 5 s, 20 s, 80 s, 5⅓ min, 21 min, then 1 h twice:
   * about 3 h 27 min after the first attempt it is given up (README: Webhooks).
   */
  webhook: () => retry({ firstMs: 5_000, attempts: 8, maxIntervalMs: 3_600_000, backoffCoefficient: 4 }),
} as const;

export type RetryProfile = keyof typeof RetryProfiles;

function retry(options: { firstMs: number; attempts: number; maxIntervalMs: number; backoffCoefficient?: number }): df.RetryOptions {
  const policy = new df.RetryOptions(options.firstMs, options.attempts);
  policy.backoffCoefficient = options.backoffCoefficient ?? 2;
  policy.maxRetryIntervalInMilliseconds = options.maxIntervalMs;
  return policy;
}
