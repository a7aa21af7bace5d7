import { systemClock, type Clock } from "../shared/waitClock.js";

/**
 * The app's share of one upstream's limits: requests per minute and tokens per minute, both
 * spread evenly over time. Azure OpenAI enforces its RPM over 1–10 s windows, so a minute's
 * quota sent in one burst gets throttled: every request is given a start time of its own
 * (generic cell rate algorithm, no burst allowance), and callers line up in the order they asked.
 *
 * Reservations are made at once and waited for afterwards, so timers that fire late never add
 * up: the next start time follows from the scheduled one, not from when the caller woke.
 */
export class RateBudget {
  /** When the next request may start as far as the request rate goes. */
  private requestsFreeAt = Number.NEGATIVE_INFINITY;
  /** Same for tokens: moves on by each request's token cost. */
  private tokensFreeAt = Number.NEGATIVE_INFINITY;
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private readonly msPerRequest: number;
  private readonly msPerToken: number;

  constructor(
    limits: { requestsPerMinute: number; tokensPerMinute: number },
    private readonly clock: Clock = systemClock,
  ) {
    this.msPerRequest = 60_000 / limits.requestsPerMinute;
    this.msPerToken = 60_000 / limits.tokensPerMinute;
  }

  /**
   * Reserves a start time for one request costing `tokens` (an estimate) and waits for it.
   * Resolves with that start time; rejects with the signal's reason if it aborts first (the
   * reservation is then given back when nobody reserved after it).
   */
  async take(tokens: number, signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    const now = this.clock.now();
    const start = Math.max(now, this.requestsFreeAt, this.tokensFreeAt, this.pausedUntil);
    const requestsFreeAt = start + this.msPerRequest;
    const tokensFreeAt = start + Math.max(0, tokens) * this.msPerToken;
    this.requestsFreeAt = requestsFreeAt;
    this.tokensFreeAt = tokensFreeAt;
    if (start > now) {
      try {
        await this.clock.sleep(wholeMilliseconds(start - now), signal);
      } catch (error) {
        if (this.requestsFreeAt === requestsFreeAt && this.tokensFreeAt === tokensFreeAt) {
          this.requestsFreeAt -= this.msPerRequest;
          this.tokensFreeAt -= Math.max(0, tokens) * this.msPerToken;
        }
        throw error;
      }
    }
    return start;
  }

  /**
   * The upstream reported what a request really cost. Only a higher cost is charged: Azure
   * counts the estimate (prompt + max_tokens) when it admits a request, so handing back an
   * overestimate would run into its limit.
   */
  charge(extraTokens: number): void {
    if (extraTokens <= 0) return;
    this.tokensFreeAt = Math.max(this.tokensFreeAt, this.clock.now()) + extraTokens * this.msPerToken;
  }

  /** The upstream asked everyone to wait (429 retry-after, or a limit reported exhausted). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  /** When the next request could start if asked now (for tests and diagnostics). */
  nextStart(): number {
    return Math.max(this.clock.now(), this.requestsFreeAt, this.tokensFreeAt, this.pausedUntil);
  }
}

/** Timers take whole milliseconds; float noise from the per-request spacing must not turn 4321 into 4321.000000000001 or 4320.999. */
function wholeMilliseconds(ms: number): number {
  return Math.max(0, Math.ceil(ms - 1e-6));
}
