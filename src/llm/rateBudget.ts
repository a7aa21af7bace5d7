import { systemClock, type Clock } from "../shared/waitClock.js";
import { LocalTimeline, type RateTimeline } from "./rateTimeline.js";

export interface RateBudgetOptions {
  /** The timeline shared with the other instances (a storage table); default one of this process's own. */
  timeline?: RateTimeline;
  /** Most timeline claimed at once (default 1 s): bigger claims cost fewer storage writes but leave a stopped instance's share unused longer. */
  maxClaimMs?: number;
}

interface Span {
  start: number;
  end: number;
}

/**
 * The app's share of one upstream's limits: requests per minute and tokens per minute, spread
 * evenly over time. Azure OpenAI enforces its RPM over 1–10 s windows, so a minute's quota sent
 * in one burst gets throttled: every request gets a start time of its own, `cost` ms after the
 * previous one (cost = the larger of its request and token spacing), and callers line up in the
 * order they asked.
 *
 * The time comes from a RateTimeline shared by all instances: this instance claims spans of it
 * (as long as the requests waiting need, at most `maxClaimMs`) and spends them request by request,
 * so the instances together never exceed the limits and a lone instance uses all of it.
 *
 * Reservations are made at once and waited for afterwards, so timers that fire late never add
 * up: the next start time follows from the scheduled one, not from when the caller woke.
 */
export class RateBudget {
  private readonly msPerRequest: number;
  private readonly msPerToken: number;
  private readonly timeline: RateTimeline;
  private readonly maxClaimMs: number;
  /** Claimed spans not spent yet, in time order. */
  private owned: Span[] = [];
  /** Time owed for tokens the upstream counted above the estimate; spent before the next request. */
  private debtMs = 0;
  /** Costs of the callers waiting for a reservation (claims are sized to them). */
  private waitingMs = 0;
  /** End of the last span claimed: where this instance's next time would start as far as it knows. */
  private lastClaimedEnd = Number.NEGATIVE_INFINITY;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    limits: { requestsPerMinute: number; tokensPerMinute: number },
    private readonly clock: Clock = systemClock,
    options: RateBudgetOptions = {},
  ) {
    this.msPerRequest = 60_000 / limits.requestsPerMinute;
    this.msPerToken = Number.isFinite(limits.tokensPerMinute) ? 60_000 / limits.tokensPerMinute : 0;
    this.timeline = options.timeline ?? new LocalTimeline();
    this.maxClaimMs = options.maxClaimMs ?? 1000;
  }

  /**
   * Reserves a start time for one request costing `tokens` (an estimate) and waits for it.
   * Resolves with that start time; rejects with the signal's reason if it aborts first (the
   * reservation is then given back when nobody reserved after it).
   */
  async take(tokens: number, signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    const cost = Math.max(this.msPerRequest, Math.max(0, tokens) * this.msPerToken);
    this.waitingMs += cost;
    const reserved = this.queue.then(() => this.reserve(cost));
    this.queue = reserved.catch(() => undefined);
    let start: number;
    let spent: Span[];
    try {
      ({ start, spent } = await reserved);
    } finally {
      this.waitingMs -= cost;
    }
    const now = this.clock.now();
    if (start > now) {
      try {
        await this.clock.sleep(wholeMilliseconds(start - now), signal);
      } catch (error) {
        this.giveBack(spent);
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
    if (extraTokens > 0) this.debtMs += extraTokens * this.msPerToken;
  }

  /** The upstream asked everyone to wait (429 retry-after, or a limit reported exhausted): every instance holds back. */
  pause(ms: number): void {
    const now = this.clock.now();
    const until = now + ms;
    // Time owed passes during the pause as well.
    const base = trimBefore(this.owned, now)[0]?.start ?? Math.max(now, this.lastClaimedEnd);
    this.debtMs = Math.max(0, this.debtMs - Math.max(0, until - base));
    this.owned = trimBefore(this.owned, until);
    this.queue = this.queue.then(() => this.timeline.holdUntil(until)).catch(() => undefined);
  }

  /** When the next request could start if asked now, as far as this instance knows (for tests and diagnostics). */
  nextStart(): number {
    const now = this.clock.now();
    const owned = trimBefore(this.owned, now);
    return (owned[0]?.start ?? Math.max(now, this.lastClaimedEnd)) + this.debtMs;
  }

  /** Gives the unspent claimed time back (this instance is stopping), where nobody claimed after it. */
  async release(): Promise<void> {
    await this.queue;
    const owned = trimBefore(this.owned, this.clock.now());
    this.owned = [];
    const last = owned.at(-1);
    if (last) await this.timeline.release(owned[0]!.start, last.end);
  }

  private async reserve(cost: number): Promise<{ start: number; spent: Span[] }> {
    const now = this.clock.now();
    this.owned = trimBefore(this.owned, now);
    const needed = cost + this.debtMs;
    const available = this.owned.reduce((sum, span) => sum + (span.end - span.start), 0);
    if (available < needed) {
      const ask = Math.max(needed - available, Math.min(this.maxClaimMs, this.waitingMs + this.debtMs - available));
      const claimed = await this.timeline.claim(ask, now);
      this.lastClaimedEnd = claimed.end;
      const last = this.owned.at(-1);
      if (last && last.end === claimed.start) last.end = claimed.end;
      else this.owned.push({ ...claimed });
    }
    // The debt is spent first (time nobody uses), then this request's cost from the next start.
    this.consume(this.debtMs);
    this.debtMs = 0;
    const start = this.owned[0]!.start;
    return { start, spent: this.consume(cost) };
  }

  /** Takes `ms` of owned time from the front; returns the pieces taken (to give back). */
  private consume(ms: number): Span[] {
    const taken: Span[] = [];
    let left = ms;
    while (left > 1e-9 && this.owned.length > 0) {
      const span = this.owned[0]!;
      const take = Math.min(left, span.end - span.start);
      taken.push({ start: span.start, end: span.start + take });
      span.start += take;
      left -= take;
      if (span.end - span.start <= 1e-9) this.owned.shift();
    }
    return taken;
  }

  /** An aborted reservation's time goes back to what this instance owns (in time order, adjacent spans joined). */
  private giveBack(spent: Span[]): void {
    const spans = [...this.owned, ...spent.map((span) => ({ ...span }))].sort((x, y) => x.start - y.start);
    this.owned = [];
    for (const span of spans) {
      const last = this.owned.at(-1);
      if (last && Math.abs(last.end - span.start) < 1e-9) last.end = span.end;
      else this.owned.push(span);
    }
  }
}

function trimBefore(spans: Span[], at: number): Span[] {
  const kept: Span[] = [];
  for (const span of spans) {
    if (span.end <= at) continue;
    kept.push(span.start < at ? { start: at, end: span.end } : span);
  }
  return kept;
}

/** Timers take whole milliseconds; float noise from the per-request spacing must not turn 4321 into 4321.000000000001 or 4320.999. */
function wholeMilliseconds(ms: number): number {
  return Math.max(0, Math.ceil(ms - 1e-6));
}
