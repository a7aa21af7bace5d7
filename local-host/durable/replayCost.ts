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
    const cpuBefore = processCpuClock.nowMs();
    const wallBefore = performance.now();
    try {
      return callback.apply(this, args);
    } finally {
      const wallMs = performance.now() - wallBefore;
      record({ cpuMs: processCpuClock.nowMs() - cpuBefore, wallMs });
    }
  };
}

/**
 * CPU time of the whole process (`process.cpuUsage()`, getrusage RUSAGE_SELF), which also counts
 * V8's compiler and GC threads and libuv's pool while the section runs. Not the JS thread alone
 * (`process.threadCpuUsage()`, Node 22.19+/23.9+): Linux answers RUSAGE_THREAD from the running
 * thread's runtime as of its last scheduler update, so a section shorter than a tick often reads
 * as nothing (on Node 22 a window of 16 short replays summed to 0 ms in CI). RUSAGE_SELF brings
 * the running thread's runtime up to date first, as /proc/thread-self/schedstat does not either.
 */
export const processCpuClock = { nowMs: () => micros(process.cpuUsage()) / 1000 };

function micros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}
