/**
 * The OpenAI Batch API end to end in its own process, against the tests' fake OpenAI upstream:
 * a JSONL file of chat requests uploaded through the Files API, a batch created and polled with
 * the official client until it is final. With `--rpm R` the upstream enforces R requests a
 * minute (over 10 s windows, as Azure does) and docbatch is told the same limit; without it the
 * upstream only answers after `--latency-ms`. `--bare` instead sends the same requests straight
 * to the upstream at `--concurrency`, as a script would, for the overhead ratio.
 *
 * `node dist/bench/scenarios/openaiBatch.js --lines 2400 --rpm 1200 --latency-ms 200`
 */
import OpenAI, { toFile } from "openai";
import pLimit from "p-limit";
import { setTimeout as sleep } from "node:timers/promises";
import { startDocbatch } from "../../test/support/docbatchHost.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../../test/support/fakeOpenAiUpstream.js";
import { numberArg, peakRssMb, scenarioMain } from "../lib/childScenario.js";

const MODEL = "bench-chat";

export interface OpenAiBatchRun {
  lines: number;
  requestsPerMinute?: number;
  latencyMs: number;
  status: string;
  completed: number;
  failed: number;
  /** Lines that ended in the error file because the upstream kept answering 429. */
  failedFor429: number;
  /** 429 answers the upstream gave (each retried by docbatch). */
  throttled: number;
  /** First to last upstream request, seconds. */
  upstreamSeconds: number;
  /** Requests the upstream answered 200, per minute of that span, over R. */
  shareOfLimit?: number;
  /** Lines per second from in_progress to finalizing (the processing phase). */
  linesPerSecond: number;
  /** Seconds in `validating` (validation and recording the lines), in `finalizing`, and created → final. */
  validatingSeconds: number;
  finalizingSeconds: number;
  totalSeconds: number;
  maxInFlight: number;
  peakRssMb: number;
}

export interface BareRun {
  lines: number;
  concurrency: number;
  latencyMs: number;
  linesPerSecond: number;
}

function requestLine(i: number): string {
  return JSON.stringify({ custom_id: `req-${i}`, method: "POST", url: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: `Summarize item ${i} of the catalogue in one line.` }], max_tokens: 32 } });
}

scenarioMain(async (args): Promise<OpenAiBatchRun | BareRun> => {
  const lines = numberArg(args, "lines");
  const latencyMs = numberArg(args, "latency-ms", 0);
  const rpm = numberArg(args, "rpm", 0);
  if (args.has("bare")) return bare(lines, numberArg(args, "concurrency"), latencyMs);

  const fake = await startFakeOpenAiUpstream({ models: [MODEL], latencyMs, ...(rpm ? { requestsPerMinute: rpm, windowMs: 10_000 } : {}) });
  const docbatch = await startDocbatch({
    maxConcurrentActivities: numberArg(args, "activities", 16),
    env: { DOCBATCH_LLM_ENDPOINT: fake.baseUrl, DOCBATCH_LLM_MODELS: MODEL, DOCBATCH_LLM_REQUESTS_PER_MINUTE: String(rpm || 10_000_000), DOCBATCH_LLM_TOKENS_PER_MINUTE: "1000000000" },
  });
  try {
    const openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0 });
    const content = Array.from({ length: lines }, (_, i) => requestLine(i)).join("\n");
    const file = await openai.files.create({ file: await toFile(Buffer.from(content), "bench.jsonl"), purpose: "batch" });
    const started = performance.now();
    const created = await openai.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    let batch = created;
    while (!["completed", "failed", "expired", "cancelled"].includes(batch.status)) {
      await sleep(200);
      // A poll that finds storage too busy (503 after the client's own retries) is tried again, as a caller would.
      batch = await openai.batches.retrieve(created.id).catch(() => batch);
    }
    const totalSeconds = (performance.now() - started) / 1000;
    const { getAppServices } = await import("../../src/services/appServices.js");
    const record = await getAppServices().store.getBatch("openaiBatch", created.id);
    const at = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);
    const processingAt = at(record?.milestones?.processingAt);
    const finalizingAt = at(record?.milestones?.finalizingAt);
    const errors = batch.error_file_id ? (await (await openai.files.content(batch.error_file_id)).text()).split("\n").filter(Boolean).map((line) => JSON.parse(line)) : [];
    const answered = fake.requests.filter((request) => request.status === 200);
    const span = answered.length > 1 ? answered.at(-1)!.at - answered[0]!.at : 0;
    return {
      lines,
      ...(rpm ? { requestsPerMinute: rpm } : {}),
      latencyMs,
      status: batch.status,
      completed: batch.request_counts?.completed ?? 0,
      failed: batch.request_counts?.failed ?? 0,
      failedFor429: errors.filter((line) => line.response?.status_code === 429 || line.error?.code === "rate_limit_exceeded").length,
      throttled: fake.throttled,
      upstreamSeconds: span / 1000,
      // n requests evenly spaced at R/min span (n - 1) intervals of 60/R s.
      ...(rpm && answered.length > 1 ? { shareOfLimit: (answered.length - 1) / (rpm * (span / 60_000)) } : {}),
      linesPerSecond: lines / ((finalizingAt - processingAt) / 1000),
      validatingSeconds: (processingAt - at(record?.createdAt)) / 1000,
      finalizingSeconds: (at(record?.completedAt) - finalizingAt) / 1000,
      totalSeconds,
      maxInFlight: fake.maxInFlight,
      peakRssMb: peakRssMb(),
    };
  } finally {
    await docbatch.close();
    await fake.close();
  }
});

/** The same requests sent straight to the upstream at a fixed concurrency: the floor of any batch runner. */
async function bare(lines: number, concurrency: number, latencyMs: number): Promise<BareRun> {
  const fake: FakeOpenAiUpstream = await startFakeOpenAiUpstream({ models: [MODEL], latencyMs });
  try {
    const limit = pLimit(concurrency);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: lines }, (_, i) =>
        limit(async () => {
          const line = JSON.parse(requestLine(i));
          const response = await fetch(`${fake.baseUrl}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(line.body) });
          await response.json();
        }),
      ),
    );
    return { lines, concurrency, latencyMs, linesPerSecond: lines / ((performance.now() - started) / 1000) };
  } finally {
    await fake.close();
  }
}
