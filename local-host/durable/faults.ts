import diagnostics from "node:diagnostics_channel";

/**
 * Fault injection for reliability tests: the failures Durable Functions' at-least-once delivery
 * really produces, made to happen on demand for chosen activities.
 */
export interface ActivityFaultOptions {
  /** How many deliveries the fault affects (default 1; Infinity for all). */
  times?: number;
  /** Only deliveries whose input passes this test are affected. */
  when?: (input: unknown) => boolean;
}

export type FaultKind = "fail" | "duplicate" | "crashAfterSideEffects";

export interface FaultHandle {
  readonly kind: FaultKind;
  readonly activity: string;
  /** Deliveries affected so far. */
  readonly triggered: number;
  readonly remaining: number;
  /** Removes the fault. */
  clear(): void;
}

export interface FaultInjector {
  /** The activity fails `times` times with `message`, thrown before its body runs. */
  failActivity(activity: string, options?: ActivityFaultOptions & { message?: string }): FaultHandle;
  /** At-least-once delivery: the activity runs twice; the orchestration records the first result only. */
  duplicateActivity(activity: string, options?: ActivityFaultOptions): FaultHandle;
  /** The body runs (side effects happen), the host "crashes" before recording the result, and delivers it again. */
  crashAfterActivity(activity: string, options?: ActivityFaultOptions): FaultHandle;
  clear(): void;
}

interface Fault extends FaultHandle {
  message?: string;
  matches(activity: string, input: unknown): boolean;
  take(): void;
}

export class FaultRegistry implements FaultInjector {
  private faults: Fault[] = [];

  failActivity(activity: string, options: ActivityFaultOptions & { message?: string } = {}): FaultHandle {
    return this.add("fail", activity, options);
  }
  duplicateActivity(activity: string, options: ActivityFaultOptions = {}): FaultHandle {
    return this.add("duplicate", activity, options);
  }
  crashAfterActivity(activity: string, options: ActivityFaultOptions = {}): FaultHandle {
    return this.add("crashAfterSideEffects", activity, options);
  }
  clear(): void {
    this.faults = [];
  }

  /** Consumes and returns the first fault that applies to this delivery, if any. */
  take(activity: string, input: unknown): { kind: FaultKind; message?: string } | undefined {
    const fault = this.faults.find((f) => f.matches(activity, input));
    if (!fault) return undefined;
    fault.take();
    return { kind: fault.kind, message: fault.message };
  }

  private add(kind: FaultKind, activity: string, options: ActivityFaultOptions & { message?: string }): FaultHandle {
    const times = options.times ?? 1;
    let triggered = 0;
    const fault: Fault = {
      kind,
      activity,
      message: options.message,
      get triggered() {
        return triggered;
      },
      get remaining() {
        return Math.max(0, times - triggered);
      },
      clear: () => {
        this.faults = this.faults.filter((f) => f !== fault);
      },
      matches(name, input) {
        if (triggered >= times || name.toLowerCase() !== activity.toLowerCase()) return false;
        return options.when ? options.when(input) : true;
      },
      take() {
        triggered++;
      },
    };
    this.faults.push(fault);
    return fault;
  }
}

export interface ProcessCrashOptions {
  /** Outgoing HTTP requests this applies to, e.g. `PUT` of a path ending in `.ocr.json`. */
  method: string;
  path: RegExp;
  /** The process dies when the response to the `after`-th matching request arrives. */
  after: number;
}

/**
 * A real crash after a side effect: the process kills itself with SIGKILL the moment the
 * response to the chosen request arrives, so the write it made is done but the code that sent
 * it never learns so (an activity's result blob written, its item's status not yet recorded).
 * Only tests arm it (see test/support/crashAfterResponse.ts, loaded with `node --import`); it
 * watches Node's own HTTP client diagnostics channel, so no production code changes for it.
 */
export function crashProcessAfterResponse(options: ProcessCrashOptions): void {
  let seen = 0;
  diagnostics.subscribe("http.client.response.finish", (message) => {
    const { request } = message as { request: { method: string; path: string } };
    if (request.method !== options.method.toUpperCase() || !options.path.test(decodeURIComponent(request.path.split("?")[0]))) return;
    if (++seen >= options.after) process.kill(process.pid, "SIGKILL");
  });
}
