/**
 * docbatch end to end in its own process: N small text documents in Azurite, one batch started
 * with the official Document Intelligence client, its own poller run until done. The rate is
 * documents over that wall time. The orchestration's own span (instance created → completed) is
 * reported too, so the poller's granularity can be told apart from the processing itself.
 *
 * `--durable` keeps everything on disk as `npm run local -- --data` does (Azurite's stores and the
 * durable engine's instances, each durable commit and answer held until the storage it depends on
 * is saved), so the figure is what a run that survives a hard kill costs.
 *
 * `node dist/bench/scenarios/throughput.js --documents 300 --concurrency 16 [--durable]`
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runBatch, startDocbatch } from "../../test/support/docbatchHost.js";
import { numberArg, peakRssMb, scenarioMain } from "../lib/childScenario.js";
import { startCpuMeter, type CpuSpent } from "../lib/cpuMeter.js";
import { smallDocumentBatch } from "../lib/smallDocuments.js";

const MODEL = "prebuilt-read";

export interface ThroughputRun {
  documents: number;
  concurrency: number;
  seconds: number;
  documentsPerSecond: number;
  /** Instance created → completed, as the Durable engine recorded it. */
  orchestrationSeconds: number;
  succeeded: number;
  replays: number;
  /** The local host's orchestrator CPU figure (sum over replays). */
  orchestratorCpuMs: number;
  largestHistory: number;
  activitiesExecuted: number;
  peakRssMb: number;
  cpu: CpuSpent;
}

scenarioMain(async (args): Promise<ThroughputRun> => {
  const documents = numberArg(args, "documents");
  const concurrency = numberArg(args, "concurrency");
  // Experiments only (the section uses the app's default): another sub-orchestration size.
  const perPart = args.get("per-part");
  const dataDir = args.get("durable") === "true" ? mkdtempSync(path.join(os.tmpdir(), "docbatch-bench-durable-")) : undefined;
  const docbatch = await startDocbatch({
    maxConcurrentActivities: concurrency,
    dataDir,
    env: {
      // Scale runs (e.g. --documents 100000) go past the default limit of 10,000 a batch.
      DOCBATCH_MAX_DOCUMENTS_PER_BATCH: String(Math.max(documents, 10_000)),
      ...(perPart ? { DOCBATCH_DOCUMENTS_PER_SUBORCHESTRATION: perPart } : {}),
    },
  });
  try {
    const { body } = await smallDocumentBatch(docbatch, documents);
    const started = performance.now();
    const cpuMeter = startCpuMeter();
    const { final, operationLocation } = await runBatch(docbatch, MODEL, body);
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuMeter();
    const operation = final.body as { status: string; result?: { succeededCount: number } };
    if (operation.status !== "succeeded") throw new Error(`batch ended ${operation.status}: ${JSON.stringify(operation).slice(0, 500)}`);
    const batchId = new URL(operationLocation).pathname.split("/").pop()!;
    const instance = docbatch.host.durable.getInstance(batchId);
    const stats = docbatch.host.durable.stats();
    return {
      documents,
      concurrency,
      seconds,
      documentsPerSecond: documents / seconds,
      orchestrationSeconds: instance ? (instance.lastUpdatedTime.getTime() - instance.createdTime.getTime()) / 1000 : NaN,
      succeeded: operation.result?.succeededCount ?? 0,
      replays: stats.replays,
      orchestratorCpuMs: stats.orchestratorCpuMs,
      largestHistory: stats.maxHistoryLength,
      activitiesExecuted: stats.activitiesExecuted,
      peakRssMb: peakRssMb(),
      cpu,
    };
  } finally {
    await docbatch.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
});
