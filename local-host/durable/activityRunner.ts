import pLimit from "p-limit";
import type { FaultRegistry } from "./faults.js";

export type ActivityOutcome = { ok: true; result: unknown } | { ok: false; error: Error };

export type ActivityInvoke = (name: string, input: unknown, instanceId: string) => Promise<unknown>;

/**
 * Runs activity functions with the concurrency bound of `maxConcurrentActivityFunctions` and
 * applies injected faults to deliveries.
 */
export class ActivityRunner {
  private readonly limit: ReturnType<typeof pLimit>;
  executed = 0;

  constructor(
    private readonly invoke: ActivityInvoke,
    maxConcurrent: number,
    private readonly faults: FaultRegistry,
  ) {
    this.limit = pLimit(Math.max(1, maxConcurrent));
  }

  /** One delivery of an activity message, possibly redelivered after an injected crash. */
  async deliver(name: string, input: unknown, instanceId: string): Promise<ActivityOutcome> {
    for (;;) {
      const fault = this.faults.take(name, input);
      if (fault?.kind === "fail") {
        return { ok: false, error: new Error(fault.message ?? `Injected failure of activity '${name}'`) };
      }
      if (fault?.kind === "crashAfterSideEffects") {
        // The body runs and its side effects stay; the result is lost with the "crashed" worker.
        await this.execute(name, input, instanceId);
        continue;
      }
      if (fault?.kind === "duplicate") {
        // Two deliveries of the same message: both bodies run, only the first result counts.
        const [first] = await Promise.all([this.execute(name, input, instanceId), this.execute(name, input, instanceId)]);
        return first;
      }
      return this.execute(name, input, instanceId);
    }
  }

  private execute(name: string, input: unknown, instanceId: string): Promise<ActivityOutcome> {
    return this.limit(async (): Promise<ActivityOutcome> => {
      this.executed++;
      try {
        return { ok: true, result: await this.invoke(name, input, instanceId) };
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
      }
    });
  }
}
