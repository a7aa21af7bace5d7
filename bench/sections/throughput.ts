import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runScenario } from "../lib/childScenario.js";
import type { SectionResult } from "../lib/sectionResult.js";
import type { BareSdkResult } from "../baseline/bareSdk.js";
import type { ThroughputRun } from "../scenarios/throughput.js";

/** Our rate over the bare-SDK baseline's that we accept. */
export const THROUGHPUT_TARGET = 0.7;

const HOST_JSON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../host.json");

/** The activity concurrency the app is configured with; the baseline uses the same. */
function activityConcurrency(): number {
  const hostJson = JSON.parse(readFileSync(HOST_JSON, "utf8")) as { extensions?: { durableTask?: { maxConcurrentActivityFunctions?: number } } };
  return hostJson.extensions?.durableTask?.maxConcurrentActivityFunctions ?? 10;
}

/**
 * Documents per second end to end, docbatch against the bare-SDK baseline, each in a fresh
 * process with a fresh Azurite, alternating so drift hits both alike; medians are compared.
 */
export async function runThroughputBenchmark({ quick }: { quick: boolean }): Promise<SectionResult> {
  const documents = quick ? 300 : 2_000;
  const repeats = quick ? 2 : 3;
  const concurrency = activityConcurrency();
  const ours: ThroughputRun[] = [];
  // The same run with everything on disk as `npm run local -- --data` keeps it: what a run that survives a hard kill costs.
  const durable: ThroughputRun[] = [];
  const baseline: BareSdkResult[] = [];
  for (let round = 1; round <= repeats; round++) {
    process.stderr.write(`  throughput: round ${round}/${repeats}, ${documents} documents, concurrency ${concurrency}...\n`);
    ours.push(await runScenario<ThroughputRun>("scenarios/throughput", { documents, concurrency }, { timeoutMs: 15 * 60_000 }));
    durable.push(await runScenario<ThroughputRun>("scenarios/throughput", { documents, concurrency, durable: true }, { timeoutMs: 15 * 60_000 }));
    baseline.push(await runScenario<BareSdkResult>("baseline/bareSdk", { documents, concurrency }, { timeoutMs: 15 * 60_000 }));
  }
  const ourRate = median(ours.map((r) => r.documentsPerSecond));
  const baseRate = median(baseline.map((r) => r.documentsPerSecond));
  const ratio = ourRate / baseRate;
  const durableRate = median(durable.map((r) => r.documentsPerSecond));
  const orchestrationRate = median(ours.map((r) => r.documents / r.orchestrationSeconds));
  const notes = [
    `docbatch / bare SDK = ${ratio.toFixed(2)} (target ≥ ${THROUGHPUT_TARGET}: ${ratio >= THROUGHPUT_TARGET ? "met" : "MISSED"}). Median of ${repeats} rounds each.`,
    "Machine CPU is all cores' busy time during the run (Azurite is a separate process, so machine minus process is mostly Azurite); near 2 s per wall second means the 2-core machine was saturated.",
    `Everything on disk as \`npm run local -- --data\` keeps it (Azurite's stores and the durable instances; each batch of durable commits and each changing answer waits for an Azurite save, so a hard kill loses nothing acknowledged): docbatch runs at ${(durableRate / baseRate).toFixed(2)} of the baseline, ${(durableRate / ourRate).toFixed(2)} of the in-memory run's rate; the target is measured in memory, which stands for Azure's Durable backend and Table Storage (separate services there).`,
    `docbatch's rate counts from the analyzeBatch POST until the official client's poller is done (it polls every Retry-After = 1 s); measured from orchestration start to completion instead, it is ${orchestrationRate.toFixed(0)} documents/s.`,
  ];
  if (quick) notes.unshift(`Quick mode: ${documents} documents (full run: 2,000).`);
  return {
    section: "throughput",
    targetMet: ratio >= THROUGHPUT_TARGET,
    tables: [
      {
        title: `Throughput, ${documents} small text documents, activity concurrency ${concurrency}`,
        headers: ["run", "documents/s (median)", "seconds (median)", "rounds documents/s", "process CPU ms/doc", "machine CPU ms/doc", "orchestrator CPU ms/doc", "peak RSS MB"],
        rows: [
          runRow("docbatch (client → local host → Azurite)", ours),
          runRow("docbatch, all on disk, kill-safe (--data)", durable),
          ["docbatch, orchestration span only", orchestrationRate, median(ours.map((r) => r.orchestrationSeconds)), ours.map((r) => (r.documents / r.orchestrationSeconds).toFixed(0)).join(", "), undefined, undefined, undefined, undefined],
          ["bare SDK baseline", baseRate, median(baseline.map((r) => r.seconds)), baseline.map((r) => r.documentsPerSecond.toFixed(0)).join(", "), perDocument(baseline, (r) => r.cpu.processSeconds * 1000), perDocument(baseline, (r) => r.cpu.machineBusySeconds * 1000), undefined, Math.max(...baseline.map((r) => r.peakRssMb))],
          ["ratio docbatch / baseline", ratio, undefined, undefined, undefined, undefined, undefined, undefined],
        ],
      },
    ],
    notes,
    data: { documents, concurrency, repeats, ratio, ourRate, baseRate, durableRate, orchestrationRate, ours, durable, baseline },
  };
}

function runRow(label: string, runs: ThroughputRun[]): (string | number | undefined)[] {
  return [label, median(runs.map((r) => r.documentsPerSecond)), median(runs.map((r) => r.seconds)), runs.map((r) => r.documentsPerSecond.toFixed(0)).join(", "), perDocument(runs, (r) => r.cpu.processSeconds * 1000), perDocument(runs, (r) => r.cpu.machineBusySeconds * 1000), perDocument(runs, (r) => r.orchestratorCpuMs), Math.max(...runs.map((r) => r.peakRssMb))];
}

/** Median over rounds of a per-document figure. */
function perDocument<T extends { documents: number }>(runs: T[], total: (run: T) => number): number {
  return median(runs.map((run) => total(run) / run.documents));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
