/**
 * One request rate for the whole app towards Document Intelligence: requests are spaced
 * 1/rate seconds apart, and a 429's Retry-After pauses everyone, not only the request that got it.
 */
export class RateLimiter {
  private nextSlot = 0;
  private pausedUntil = 0;

  constructor(private readonly requestsPerSecond: number) {}

  /** Resolves when the caller may send its request; rejects if the signal aborts first. */
  async take(signal?: AbortSignal): Promise<void> {
    const interval = 1000 / this.requestsPerSecond;
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot, this.pausedUntil);
    this.nextSlot = slot + interval;
    if (slot > now) await sleep(slot - now, signal);
  }

  /** The service asked us to wait (429 Retry-After). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
