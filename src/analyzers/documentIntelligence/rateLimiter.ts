/**
 * One request rate for the whole app towards Document Intelligence: requests are spaced
 * 1/rate seconds apart on a timeline every instance shares (see src/llm/rateBudget.ts), and a
 * 429's Retry-After pauses everyone, not only the request that got it.
 */

import { RateBudget } from "../../llm/rateBudget.js";
import type { RateTimeline } from "../../llm/rateTimeline.js";
import { systemClock, type Clock } from "../../shared/waitClock.js";

export { sleep, systemClock, type Clock } from "../../shared/waitClock.js";

export class RateLimiter {
  private readonly budget: RateBudget;

  constructor(requestsPerSecond: number, clock: Clock = systemClock, timeline?: RateTimeline) {
    this.budget = new RateBudget({ requestsPerMinute: requestsPerSecond * 60, tokensPerMinute: Number.POSITIVE_INFINITY }, clock, { timeline });
  }

  /**
   * Resolves when the caller may send its request, with the clock time it was given; rejects if
   * the signal aborts first.
   */
  take(signal?: AbortSignal): Promise<number> {
    return this.budget.take(0, signal);
  }

  /** The service asked us to wait (429 Retry-After). */
  pause(ms: number): void {
    this.budget.pause(ms);
  }

  /** This instance is stopping: its unspent share goes back. */
  release(): Promise<void> {
    return this.budget.release();
  }
}
