import { runScenario, ScenarioTimeout } from "../lib/childScenario.js";
import type { SectionResult } from "../lib/sectionResult.js";
import type { Cell } from "../lib/table.js";
import type { OrchestrationRun, OrchestrationShape } from "../scenarios/orchestration.js";

/**
 * Orchestration cost: the real orchestrators through the local host's replay engine with
 * instant stand-in activities, at growing batch sizes, against a flat fan-out for contrast.
 */

/** Growth of orchestrator CPU from 10,000 to 100,000 documents we accept as near-linear. */
export const LINEAR_GROWTH_TARGET = 12;
/** A flat fan-out is run at a size only if its extrapolated time fits this budget. */
const FLAT_BUDGET_SECONDS = 5 * 60;

export async function runOrchestrationBenchmark({ quick }: { quick: boolean }): Promise<SectionResult> {
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  const notes: string[] = [];
  if (quick) notes.push("Quick mode: 1,000 and 10,000 documents only; the 100,000-document run is skipped, so the growth figure is 10,000 over 1,000.");

  const split: OrchestrationRun[] = [];
  for (const documents of sizes) split.push(await runOne("split", documents));

  const flat: OrchestrationRun[] = [];
  let flatExtrapolation: ReturnType<typeof extrapolate> | undefined;
  for (const documents of sizes) {
    if (flat.length >= 2) {
      const estimate = extrapolate(flat[flat.length - 2], flat[flat.length - 1], documents);
      if (estimate.wallSeconds > FLAT_BUDGET_SECONDS) {
        flatExtrapolation = estimate;
        notes.push(
          `Flat fan-out at ${documents.toLocaleString("en-US")} documents not run: extrapolated from the two smaller runs ` +
            `(cost ∝ N^${estimate.exponent.toFixed(2)}) it would need about ${Math.round(estimate.orchestratorCpuMs / 1000).toLocaleString("en-US")} s of orchestrator CPU ` +
            `(≈ ${Math.round(estimate.wallSeconds / 60)} min), over the ${FLAT_BUDGET_SECONDS / 60}-minute budget.`,
        );
        break;
      }
    }
    try {
      flat.push(await runOne("flat", documents));
    } catch (error) {
      if (!(error instanceof ScenarioTimeout)) throw error;
      notes.push(`Flat fan-out at ${documents} documents timed out: ${error.message}`);
      break;
    }
  }

  // Real activities finish one by one, so each completion costs a replay of its part with the
  // part's whole history: the per-document cost then grows with the part size.
  const oneByOne: OrchestrationRun[] = [];
  for (const perPart of [500, 100]) oneByOne.push(await runOne("split", 1_000, { "per-part": perPart, "completions-per-replay": 1 }));

  const growth = (runs: OrchestrationRun[], from: number, to: number) => {
    const a = runs.find((r) => r.documents === from);
    const b = runs.find((r) => r.documents === to);
    if (!a || !b) return undefined;
    return {
      documents: to / from,
      orchestratorCpu: b.orchestratorCpuMs / a.orchestratorCpuMs,
      processCpu: b.processCpuSeconds / a.processCpuSeconds,
      replays: b.replays / a.replays,
      largestHistory: b.largestHistory / a.largestHistory,
      peakRss: b.peakRssMb / a.peakRssMb,
    };
  };
  const ratios = [
    { label: "split 10k / 1k", value: growth(split, 1_000, 10_000) },
    { label: "split 100k / 10k", value: growth(split, 10_000, 100_000) },
    { label: "flat 10k / 1k", value: growth(flat, 1_000, 10_000) },
  ].filter((r) => r.value);
  const headline = growth(split, 10_000, 100_000) ?? growth(split, 1_000, 10_000);
  const targetMet = headline ? headline.orchestratorCpu <= LINEAR_GROWTH_TARGET : undefined;
  notes.push(
    `Target: orchestrator CPU grows ≤ ${LINEAR_GROWTH_TARGET}× for 10× the documents (${quick ? "10k / 1k in quick mode" : "100k / 10k"}): ` +
      `${headline ? `${headline.orchestratorCpu.toFixed(1)}×` : "n/a"} → ${targetMet ? "met" : "MISSED"}.`,
    "One completion per replay (how real, slower activities arrive): every replay re-reads the part's whole history, so CPU per document grows with the part size; process CPU is shown there because it covers the whole cost of a replay (history JSON parsed for every invocation, invocation overhead), not only the replay callback.",
    "Orchestrator CPU is the local host's sum, over every replay, of the CPU spent inside the durable-functions replay callback itself (its synchronous run: orchestrator code and the library's history processing), timed right around that call; replays run one at a time on the JS thread, so it stays within the process total however many instances run at once (8, host.json). On Node before 23.9 it is process CPU during those sections, so it includes background threads (V8 compiler, GC). Left out: parsing the trigger JSON, invocation hooks, the host's bookkeeping. Process CPU covers everything in the run, stand-in activities included.",
  );

  const row = (r: OrchestrationRun): Cell[] => [r.shape === "split" ? `tree, leaves of ${r.documentsPerSubOrchestration}` : "flat fan-out", r.documents, r.instances, r.replays, r.orchestratorCpuMs, r.processCpuSeconds, r.wallSeconds, r.largestHistory, r.peakRssMb];
  const rows = [...split.map(row), ...flat.map(row)];
  if (flatExtrapolation) rows.push(["flat fan-out (extrapolated)", flatExtrapolation.documents, 1, undefined, flatExtrapolation.orchestratorCpuMs, undefined, flatExtrapolation.wallSeconds, flatExtrapolation.largestHistory, undefined]);
  return {
    section: "orchestration",
    targetMet,
    tables: [
      {
        title: "Orchestration cost (stand-in activities, local host replay engine, 32 completions per replay)",
        headers: ["shape", "documents", "instances", "replays", "orchestrator CPU ms", "process CPU s", "wall s", "largest history", "peak RSS MB"],
        rows,
      },
      {
        title: "Growth for 10× the documents",
        headers: ["ratio", "orchestrator CPU", "process CPU", "replays", "largest history", "peak RSS"],
        rows: ratios.map(({ label, value }) => [label, value!.orchestratorCpu, value!.processCpu, value!.replays, value!.largestHistory, value!.peakRss]),
      },
      {
        title: "Completions arriving one at a time (1 per replay, as when real activities finish one by one), 1,000 documents",
        headers: ["documents per sub-orchestration", "replays", "process CPU s", "process CPU ms/doc", "wall s", "largest history"],
        rows: oneByOne.map((r) => [r.documentsPerSubOrchestration, r.replays, r.processCpuSeconds, (r.processCpuSeconds * 1000) / r.documents, r.wallSeconds, r.largestHistory]),
      },
    ],
    notes,
    data: { split, flat, flatExtrapolation, ratios, oneByOne },
  };
}

function runOne(shape: OrchestrationShape, documents: number, extra: Record<string, number> = {}): Promise<OrchestrationRun> {
  process.stderr.write(`  orchestration: ${shape} ${documents.toLocaleString("en-US")} documents ${JSON.stringify(extra)}...\n`);
  return runScenario<OrchestrationRun>("scenarios/orchestration", { documents, shape, ...extra }, {
    timeoutMs: 20 * 60_000,
    nodeFlags: ["--max-old-space-size=4096"],
  });
}

/** Power-law fit through two runs: cost = a·N^k, evaluated at `documents`. */
function extrapolate(small: OrchestrationRun, large: OrchestrationRun, documents: number) {
  const exponent = Math.log(large.orchestratorCpuMs / small.orchestratorCpuMs) / Math.log(large.documents / small.documents);
  const scale = (documents / large.documents) ** exponent;
  // A flat history holds two events per document (scheduled, completed): it grows linearly.
  const largestHistory = Math.round(large.largestHistory * (documents / large.documents));
  return { documents, exponent, orchestratorCpuMs: large.orchestratorCpuMs * scale, wallSeconds: large.wallSeconds * scale, largestHistory };
}
