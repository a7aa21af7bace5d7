import { Cron } from "croner";
import type { RegisteredFunction } from "./functionsCore.js";
import { resolveSettings } from "./hostConfig.js";

export type TimerInvoke = (fn: RegisteredFunction, timerJson: object) => Promise<void>;

interface TimerState {
  fn: RegisteredFunction;
  schedule: string;
  cron?: Cron;
  intervalMs?: number;
  last?: Date;
  running?: Promise<void>;
  error?: string;
}

/**
 * Timer triggers: fired on demand, and on their NCRONTAB schedule (six fields, seconds first,
 * UTC, `%SETTING%` resolved) when schedules run. Like the host, one function never overlaps itself.
 */
export class TimerTriggers {
  private readonly timers = new Map<string, TimerState>();
  private readonly handles = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(functions: Iterable<RegisteredFunction>, private readonly invoke: TimerInvoke, private readonly onError: (fn: string, error: unknown) => void) {
    for (const fn of functions) {
      if (fn.trigger.type.toLowerCase() !== "timertrigger") continue;
      const schedule = resolveSettings(String(fn.trigger.schedule ?? ""));
      const state: TimerState = { fn, schedule };
      try {
        if (/^(\d+\.)?\d{1,2}:\d{2}:\d{2}$/.test(schedule)) state.intervalMs = timeSpanMs(schedule);
        else state.cron = new Cron(schedule, { paused: true, timezone: "Etc/UTC" });
      } catch (error) {
        // The host reports such a function as errored and starts the others.
        state.error = `Invalid schedule "${schedule}" of timer function '${fn.name}': ${(error as Error).message}`;
        onError(fn.name, new Error(state.error));
      }
      this.timers.set(fn.name.toLowerCase(), state);
    }
  }

  has(name: string): boolean {
    return this.timers.has(name.toLowerCase());
  }

  /** Starts the schedules; `runOnStartup` functions fire once right away. */
  start(): void {
    for (const state of this.timers.values()) {
      if (state.error) continue;
      if (state.fn.trigger.runOnStartup === true) void this.fire(state.fn.name).catch((e) => this.onError(state.fn.name, e));
      this.armNext(state);
    }
  }

  /** Fires `name` now; `occurrence` is the scheduled time a schedule fires it for. */
  async fire(name: string, { isPastDue = false, occurrence }: { isPastDue?: boolean; occurrence?: Date } = {}): Promise<void> {
    const state = this.timers.get(name.toLowerCase());
    if (!state) throw new Error(`No timer-triggered function named '${name}'.`);
    if (state.error) throw new Error(state.error);
    while (state.running) await state.running.catch(() => {});
    const now = new Date();
    const timer = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: (state.last ?? new Date(0)).toISOString(),
        // After the occurrence, not only after now: a wake-up a few ms early must not name this occurrence as the next.
        Next: (this.nextAfter(state, occurrence && occurrence > now ? occurrence : now) ?? now).toISOString(),
        LastUpdated: now.toISOString(),
      },
      IsPastDue: isPastDue,
    };
    state.last = now;
    state.running = this.invoke(state.fn, timer);
    try {
      await state.running;
    } finally {
      state.running = undefined;
    }
  }

  /** Stops the schedules and waits for invocations under way, as the host drains on shutdown. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
    await Promise.allSettled([...this.timers.values()].flatMap((state) => (state.running ? [state.running] : [])));
  }

  private nextAfter(state: TimerState, after: Date): Date | undefined {
    if (state.intervalMs) return new Date(after.getTime() + state.intervalMs);
    return state.cron?.nextRun(after) ?? undefined;
  }

  /** Arms the occurrence after `after` (the one just fired, so an early wake-up cannot fire it twice) or now. */
  private armNext(state: TimerState, after?: Date): void {
    if (this.stopped) return;
    const due = this.nextAfter(state, new Date(Math.max(Date.now(), after?.getTime() ?? 0)));
    if (!due) return;
    this.armAt(state, due);
  }

  private armAt(state: TimerState, due: Date): void {
    const handle = setTimeout(() => {
      this.handles.delete(handle);
      if (this.stopped) return;
      // setTimeout holds at most ~24.8 days: a later occurrence waits again.
      if (due.getTime() - Date.now() > 5) return this.armAt(state, due);
      // Late by more than a second counts as past due, as the host's schedule monitor would say.
      const pastDue = Date.now() - due.getTime() > 1000;
      void this.fire(state.fn.name, { isPastDue: pastDue, occurrence: due })
        .catch((error) => this.onError(state.fn.name, error))
        .finally(() => this.armNext(state, due));
    }, Math.min(Math.max(0, due.getTime() - Date.now()), 2 ** 31 - 1));
    this.handles.add(handle);
  }
}

function timeSpanMs(value: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) throw new Error(`Invalid TimeSpan schedule "${value}"`);
  const [, days, hours, minutes, seconds] = m;
  return (((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}
