/**
 * Validation of a large OpenAI batch input file in its own process: N request lines of about
 * `--line-bytes` each are streamed into docbatch's file store (as the Files API does), then
 * validated by docbatch's own validator reading the blob as a stream, then by a bare script that
 * downloads the blob and JSON.parses every line. Peak RSS is read after docbatch's validation,
 * before the bare script runs. With `--run`, the file is then run as a batch against an
 * unthrottled fake upstream through the official client.
 *
 * `node dist/bench/scenarios/openaiValidation.js --lines 100000 --line-bytes 1000 --run`
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI from "openai";
import { startDocbatch } from "../../test/support/docbatchHost.js";
import { startFakeOpenAiUpstream } from "../../test/support/fakeOpenAiUpstream.js";
import { numberArg, peakRssMb, scenarioMain } from "../lib/childScenario.js";

const MODEL = "bench-chat";

export interface ValidationRun {
  lines: number;
  fileMb: number;
  /** docbatch's validator over the blob stream. */
  validateSeconds: number;
  /** Download + JSON.parse of every line. */
  bareSeconds: number;
  ratio: number;
  peakRssMbAfterValidation: number;
  run?: {
    status: string;
    completed: number;
    failed: number;
    validatingSeconds: number;
    processingSeconds: number;
    finalizingSeconds: number;
    linesPerSecond: number;
    outputMb: number;
    peakRssMb: number;
  };
}

function requestLine(i: number, lineBytes: number): string {
  const base = { custom_id: `req-${i}`, method: "POST", url: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: "" }], max_tokens: 16 } };
  const padding = Math.max(0, lineBytes - JSON.stringify(base).length);
  base.body.messages[0].content = `Item ${i}: ${"lorem ipsum ".repeat(Math.ceil(padding / 12))}`.slice(0, padding);
  return JSON.stringify(base);
}

scenarioMain(async (args): Promise<ValidationRun> => {
  const lines = numberArg(args, "lines");
  const lineBytes = numberArg(args, "line-bytes", 1000);
  const fake = await startFakeOpenAiUpstream({ models: [MODEL] });
  const docbatch = await startDocbatch({
    maxConcurrentActivities: 16,
    env: { DOCBATCH_LLM_ENDPOINT: fake.baseUrl, DOCBATCH_LLM_MODELS: MODEL, DOCBATCH_LLM_REQUESTS_PER_MINUTE: "10000000", DOCBATCH_LLM_TOKENS_PER_MINUTE: "1000000000" },
  });
  const folder = await mkdtemp(path.join(tmpdir(), "docbatch-bench-"));
  try {
    const { getAppServices } = await import("../../src/services/appServices.js");
    const { validateInput } = await import("../../src/kinds/openai/inputValidation.js");
    const services = getAppServices();

    const local = path.join(folder, "requests.jsonl");
    const out = createWriteStream(local);
    for (let i = 0; i < lines; i++) if (!out.write(`${requestLine(i, lineBytes)}\n`)) await once(out, "drain");
    out.end();
    await once(out, "finish");
    const stored = await services.openAiFiles.write(createReadStream(local), Date.now());
    await services.openAiFiles.describe({ id: stored.id, bytes: stored.bytes, createdAt: Math.floor(Date.now() / 1000), fileName: "requests.jsonl", purpose: "batch" });

    const validateStart = performance.now();
    const opened = await services.openAiFiles.open(stored.id);
    const report = await validateInput(opened!.stream as AsyncIterable<Uint8Array>, { endpoint: "/v1/chat/completions", maxLines: lines, serves: () => true });
    const validateSeconds = (performance.now() - validateStart) / 1000;
    if (report.problems.length > 0 || report.tasks !== lines) throw new Error(`validation: ${JSON.stringify(report.problems.slice(0, 3))}`);
    const peakRssMbAfterValidation = peakRssMb();

    const bareStart = performance.now();
    const blob = docbatch.blobService.getContainerClient(`${process.env.DOCBATCH_TABLE_PREFIX!.toLowerCase()}-openai-files`).getBlobClient(stored.id);
    const text = (await blob.downloadToBuffer()).toString("utf8");
    let parsed = 0;
    for (const line of text.split("\n")) {
      if (!line) continue;
      JSON.parse(line);
      parsed++;
    }
    const bareSeconds = (performance.now() - bareStart) / 1000;
    if (parsed !== lines) throw new Error(`bare parsed ${parsed}`);

    const result: ValidationRun = { lines, fileMb: stored.bytes / 1e6, validateSeconds, bareSeconds, ratio: validateSeconds / bareSeconds, peakRssMbAfterValidation };
    if (args.has("run")) {
      const openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 2 });
      const created = await openai.batches.create({ input_file_id: stored.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
      let batch = created;
      while (!["completed", "failed", "expired", "cancelled"].includes(batch.status)) {
        await sleep(1000);
        // A poll that finds storage too busy (503 after the client's own retries) is tried again, as a caller would.
      batch = await openai.batches.retrieve(created.id).catch(() => batch);
      }
      const record = await services.store.getBatch("openaiBatch", created.id);
      const at = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);
      const output = batch.output_file_id ? await openai.files.retrieve(batch.output_file_id) : undefined;
      const processing = (at(record?.milestones?.finalizingAt) - at(record?.milestones?.processingAt)) / 1000;
      result.run = {
        status: batch.status,
        completed: batch.request_counts?.completed ?? 0,
        failed: batch.request_counts?.failed ?? 0,
        validatingSeconds: (at(record?.milestones?.processingAt) - at(record?.createdAt)) / 1000,
        processingSeconds: processing,
        finalizingSeconds: (at(record?.completedAt) - at(record?.milestones?.finalizingAt)) / 1000,
        linesPerSecond: lines / processing,
        outputMb: (output?.bytes ?? 0) / 1e6,
        peakRssMb: peakRssMb(),
      };
    }
    return result;
  } finally {
    await rm(folder, { recursive: true, force: true });
    await docbatch.close();
    await fake.close();
  }
});
