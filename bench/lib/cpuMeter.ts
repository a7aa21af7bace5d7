import os from "node:os";

/**
 * CPU time spent while some work ran: by this process, and by the whole machine (Azurite runs
 * in a child process, so "machine minus this process" is mostly Azurite). Tells whether a run
 * was CPU-bound and which side of the storage wire spent the CPU.
 */
export interface CpuSpent {
  processSeconds: number;
  machineBusySeconds: number;
  wallSeconds: number;
}

function machineBusyMs(): number {
  return os.cpus().reduce((sum, cpu) => sum + cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq, 0);
}

export function startCpuMeter(): () => CpuSpent {
  const process0 = process.cpuUsage();
  const machine0 = machineBusyMs();
  const wall0 = performance.now();
  return () => {
    const cpu = process.cpuUsage(process0);
    return {
      processSeconds: (cpu.user + cpu.system) / 1e6,
      machineBusySeconds: (machineBusyMs() - machine0) / 1000,
      wallSeconds: (performance.now() - wall0) / 1000,
    };
  };
}
