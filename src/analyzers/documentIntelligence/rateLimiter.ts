/**
 * One request rate for the whole app towards Document Intelligence: requests are spaced
 * 1/rate seconds apart, and a 429's Retry-After pauses everyone, not only the request that got it.
 */

/** Reading the time and waiting: the system's by default, a virtual one in tests. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep };

export class RateLimiter {
  private nextSlot = 0;
  private pausedUntil = 0;

  constructor(
    private readonly requestsPerSecond: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Resolves when the caller may send its request, with the clock time it was given; rejects if
   * the signal aborts first.
   */
  async take(signal?: AbortSignal): Promise<number> {
    const interval = 1000 / this.requestsPerSecond;
    const now = this.clock.now();
    const slot = Math.max(now, this.nextSlot, this.pausedUntil);
    this.nextSlot = slot + interval;
    if (slot > now) await this.clock.sleep(slot - now, signal);
    return slot;
  }

  /** The service asked us to wait (429 Retry-After). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
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
