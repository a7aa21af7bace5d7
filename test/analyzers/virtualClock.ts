import type { Clock } from "../../src/analyzers/documentIntelligence/rateLimiter.js";

/**
 * A clock for tests: every wait asked of it is recorded and returns at once. Time moves only
 * by those waits (`advances`), or not at all, so that every wait is measured from one instant.
 */
export class VirtualClock implements Clock {
  time = 0;
  readonly sleeps: number[] = [];

  constructor(private readonly options: { advances: boolean }) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const wakeAt = this.time + ms;
    this.sleeps.push(ms);
    await new Promise((resolve) => setImmediate(resolve));
    if (this.options.advances) this.time = Math.max(this.time, wakeAt);
  }
}
