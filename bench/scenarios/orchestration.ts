/**
 * One orchestration-cost run in its own process: the real orchestrators (or the flat fan-out
 * contrast) over N documents with instant stand-in activities, driven by the local host's replay
 * engine. Reports the engine's figures and this process's peak RSS.
 *
 * `node dist/bench/scenarios/orchestration.js --documents 10000 --shape split|flat`
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startLocalHost } from "../../local-host/index.js";
import { readSettings } from "../../src/config/settings.js";
import { Orchestrators } from "../../src/orchestration/names.js";
import { numberArg, peakRssMb, scenarioMain } from "../lib/childScenario.js";
import { quietLog } from "../lib/quietLog.js";
import { FLAT_FAN_OUT } from "../fixtures/benchNames.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const ENTRY = path.resolve(here, "../fixtures/orchestrationOnlyApp.js");

export type OrchestrationShape = "split" | "flat";

export interface OrchestrationRun {
  shape: OrchestrationShape;
  documents: number;
  documentsPerSubOrchestration: number;
  maxCompletionsPerReplay: number;
  instances: number;
  replays: number;
  orchestratorCpuMs: number;
  orchestratorWallMs: number;
  activitiesExecuted: number;
  largestHistory: number;
  /** Largest history of the top-level instance alone. */
  parentHistory: number;
  wallSeconds: number;
  processCpuSeconds: number;
  peakRssMb: number;
  runtimeStatus: string;
}

scenarioMain(async (args): Promise<OrchestrationRun> => {
  const documents = numberArg(args, "documents");
  const shape = (args.get("shape") ?? "split") as OrchestrationShape;
  // Leaves sized as production sizes them, unless the run asks for another size.
  const perPart = args.has("per-part") ? numberArg(args, "per-part") : readSettings({}).documentsPerSubOrchestration;
  const maxCompletionsPerReplay = numberArg(args, "completions-per-replay", 32);
  const host = await startLocalHost({
    entry: ENTRY,
    env: { BENCH_DOCUMENT_COUNT: String(documents), BENCH_DOCUMENTS_PER_PART: String(perPart), DOCBATCH_TASK_HUB: "bench" },
    maxCompletionsPerReplay,
    log: quietLog,
  });
  try {
    const batchId = `bench${documents}${shape}`;
    const orchestrator = shape === "flat" ? FLAT_FAN_OUT : Orchestrators.runBatch;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const response = await fetch(`${host.url}/bench/start/${orchestrator}/${batchId}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "bench", batchId }),
    });
    if (response.status !== 202) throw new Error(`start answered ${response.status}: ${await response.text()}`);
    const final = await host.durable.waitForInstance(batchId, { timeoutMs: 60 * 60_000 });
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const stats = host.durable.stats({ perInstance: true });
    return {
      shape,
      documents,
      documentsPerSubOrchestration: perPart,
      maxCompletionsPerReplay,
      instances: Object.keys(stats.perInstance ?? {}).length,
      replays: stats.replays,
      orchestratorCpuMs: stats.orchestratorCpuMs,
      orchestratorWallMs: stats.orchestratorWallMs,
      activitiesExecuted: stats.activitiesExecuted,
      largestHistory: stats.maxHistoryLength,
      parentHistory: stats.perInstance?.[batchId]?.maxHistoryLength ?? 0,
      wallSeconds,
      processCpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssMb: peakRssMb(),
      runtimeStatus: final.runtimeStatus,
    };
  } finally {
    await host.close();
  }
});
