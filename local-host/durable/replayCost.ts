/** CPU and wall time of one orchestrator replay, measured around its synchronous run only. */
export interface ReplayCost {
  cpuMs: number;
  wallMs: number;
}

/**
 * Wraps the orchestrator callback so that `record` receives the cost of its synchronous run.
 *
 * durable-functions replays the whole history synchronously inside that call
 * (`Orchestrator.handle` -> `TaskOrchestrationExecutor.execute` never awaits, and orchestrator
 * generators cannot): when the call returns, the replay is done and the promise it returns only
 * carries the state. Timing only that synchronous part leaves out what the invocation awaits
 * around it (trigger parsing, hooks, response conversion) and, above all, other instances' work:
 * replays run on the one JS thread, so two measured sections never overlap and their sums cannot
 * exceed the process's CPU or the elapsed time.
 */
export function measureSynchronousRun<A extends unknown[], R>(callback: (...args: A) => R, record: (cost: ReplayCost) => void): (...args: A) => R {
  return function measured(this: unknown, ...args: A): R {
    const cpuBefore = threadCpuClock.nowMs();
    const wallBefore = performance.now();
    try {
      return callback.apply(this, args);
    } finally {
      const wallMs = performance.now() - wallBefore;
      record({ cpuMs: threadCpuClock.nowMs() - cpuBefore, wallMs });
    }
  };
}

export interface CpuClock {
  /** "thread" when only the calling thread is counted, "process" when all its threads are. */
  readonly scope: "thread" | "process";
  nowMs(): number;
}

/**
 * CPU time of the calling (JS) thread where Node can tell (`process.threadCpuUsage()`, Node 23.9+),
 * else of the whole process (`process.cpuUsage()`), which also counts V8's compiler and GC threads
 * and libuv's pool while the section runs. Both come from getrusage and are exact at any moment;
 * Linux's /proc/thread-self/schedstat is not (it lags by up to a scheduler tick after a wake-up,
 * so short sections that follow I/O read as almost nothing).
 */
export const threadCpuClock: CpuClock = pickClock();

function pickClock(): CpuClock {
  const threadCpuUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
  if (typeof threadCpuUsage === "function") return { scope: "thread", nowMs: () => micros(threadCpuUsage.call(process)) / 1000 };
  return { scope: "process", nowMs: () => micros(process.cpuUsage()) / 1000 };
}

function micros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}
