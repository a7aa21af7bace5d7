/**
 * One request rate for the whole app towards Document Intelligence: requests are spaced
 * 1/rate seconds apart, and a 429's Retry-After pauses everyone, not only the request that got it.
 */

import { systemClock, type Clock } from "../../shared/waitClock.js";

export { sleep, systemClock, type Clock } from "../../shared/waitClock.js";

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
