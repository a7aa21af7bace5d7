/**
 * One upstream's capacity as a timeline shared by every app instance: each millisecond of it may
 * be spent once, by whoever claimed it. A request costs `max(60000 / RPM, tokens × 60000 / TPM)`
 * ms of timeline, so a timeline spent back to back is exactly the configured rate, and no two
 * instances ever spend the same millisecond. `freeAt` is where the unclaimed part begins.
 */
export interface RateTimeline {
  /** Claims `ms` of timeline from max(now, freeAt); resolves with the claimed span. */
  claim(ms: number, nowMs: number): Promise<{ start: number; end: number }>;
  /** Nobody may start before `untilMs` (a 429's retry-after holds back every instance). */
  holdUntil(untilMs: number): Promise<void>;
  /** Gives `[from, to)` back when nobody claimed after it (an instance stopping with time left). */
  release(from: number, to: number): Promise<void>;
}

/** A timeline in this process only: the app instance's own share (tests, and the fallback without storage). */
export class LocalTimeline implements RateTimeline {
  private freeAt = Number.NEGATIVE_INFINITY;

  async claim(ms: number, nowMs: number) {
    const start = Math.max(nowMs, this.freeAt);
    this.freeAt = start + ms;
    return { start, end: this.freeAt };
  }

  async holdUntil(untilMs: number) {
    this.freeAt = Math.max(this.freeAt, untilMs);
  }

  async release(from: number, to: number) {
    if (this.freeAt === to) this.freeAt = from;
  }
}
