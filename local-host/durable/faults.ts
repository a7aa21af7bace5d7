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
    const registry = this;
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
      clear() {
        registry.faults = registry.faults.filter((f) => f !== fault);
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
