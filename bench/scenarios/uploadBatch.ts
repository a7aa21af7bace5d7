/**
 * The DocuDevs upload-batch API end to end in its own process, against the tests' fake OpenAI
 * upstream limited to T tokens a minute: N small text documents uploaded over HTTP, processed
 * with a prompt and an example-shaped schema at a maxConcurrency, polled until COMPLETED.
 * Reports the share of T the batch used (tokens the upstream admitted over the processing
 * span) and the most upstream calls seen in flight.
 *
 * `node dist/bench/scenarios/uploadBatch.js --documents 200 --tokens-per-minute 300000 --max-concurrency 8`
 */
import { setTimeout as sleep } from "node:timers/promises";
import { startDocbatch } from "../../test/support/docbatchHost.js";
import { startFakeOpenAiUpstream } from "../../test/support/fakeOpenAiUpstream.js";
import { numberArg, peakRssMb, scenarioMain } from "../lib/childScenario.js";

const MODEL = "bench-extract";
const SCHEMA = '{"statements":[{"date":"date","customer":"string","total":"number"}]}';

export interface UploadBatchRun {
  documents: number;
  maxConcurrency: number;
  tokensPerMinute: number;
  /** process → COMPLETED. */
  processingSeconds: number;
  uploadSeconds: number;
  completedDocs: number;
  failedDocs: number;
  /** Tokens the upstream admitted (its own count: prompt text / 4 + max_completion_tokens). */
  admittedTokens: number;
  /** admittedTokens over T × processing minutes. */
  shareOfLimit: number;
  throttled: number;
  maxInFlight: number;
  peakRssMb: number;
}

/** About 300 tokens of statement text, different per document. */
function statementText(index: number): string {
  const lines = [`Statement ${index} for customer Customer-${index} Ltd`, `Date 2024-01-${String((index % 28) + 1).padStart(2, "0")}`];
  for (let line = 0; line < 20; line++) lines.push(`Item ${line} delivered to warehouse ${index % 7}, amount ${(index * 13 + line * 7) % 1000}.00 EUR`);
  return lines.join("\n");
}

scenarioMain(async (args): Promise<UploadBatchRun> => {
  const documents = numberArg(args, "documents");
  const tokensPerMinute = numberArg(args, "tokens-per-minute");
  const maxConcurrency = numberArg(args, "max-concurrency");
  const latencyMs = numberArg(args, "latency-ms");
  const outputTokens = numberArg(args, "output-tokens");
  const fake = await startFakeOpenAiUpstream({ models: [MODEL], tokensPerMinute, windowMs: 10_000, latencyMs });
  fake.script({ answer: (request) => ({ content: JSON.stringify({ statements: [{ date: "2024-01-31", customer: /Customer-\d+/.exec(request.promptText)?.[0] ?? "unknown", total: 1 }] }) }) });
  const docbatch = await startDocbatch({
    maxConcurrentActivities: 16,
    env: {
      DOCBATCH_LLM_ENDPOINT: fake.baseUrl,
      DOCBATCH_LLM_MODELS: MODEL,
      DOCBATCH_LLM_TOKENS_PER_MINUTE: String(tokensPerMinute),
      DOCBATCH_LLM_REQUESTS_PER_MINUTE: "100000",
      DOCBATCH_EXTRACTION_MODEL: MODEL,
      DOCBATCH_EXTRACTION_MAX_OUTPUT_TOKENS: String(outputTokens),
    },
  });
  const headers = { authorization: `Bearer ${docbatch.apiKey}` };
  const call = async (method: string, path: string, body?: BodyInit, json = true) => {
    const response = await fetch(`${docbatch.host.url}${path}`, { method, headers: json && body ? { ...headers, "content-type": "application/json" } : headers, body });
    if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  try {
    const uploadStart = performance.now();
    const { jobGuid } = (await call("POST", "/document/batch", JSON.stringify({ maxConcurrency }))) as { jobGuid: string };
    for (let index = 0; index < documents; index++) {
      const form = new FormData();
      form.append("document", new Blob([statementText(index)], { type: "text/plain" }), `statement-${index}.txt`);
      await call("POST", `/document/batch/${jobGuid}/upload`, form, false);
    }
    const processStart = performance.now();
    await call("POST", `/document/batch/${jobGuid}/process`, JSON.stringify({ prompt: "Extract the statements", schema: SCHEMA }));
    let job: { status?: string; completedDocs: number; failedDocs: number };
    for (;;) {
      job = (await call("GET", `/job/status/${jobGuid}`)) as typeof job;
      if (job.status === "COMPLETED" || job.status === "ERROR") break;
      await sleep(100);
    }
    const processingSeconds = (performance.now() - processStart) / 1000;
    const admittedTokens = fake.requests.filter((request) => request.status === 200).reduce((sum, request) => sum + request.tokens, 0);
    return {
      documents,
      maxConcurrency,
      tokensPerMinute,
      processingSeconds,
      uploadSeconds: (processStart - uploadStart) / 1000,
      completedDocs: job.completedDocs,
      failedDocs: job.failedDocs,
      admittedTokens,
      shareOfLimit: admittedTokens / (tokensPerMinute * (processingSeconds / 60)),
      throttled: fake.throttled,
      maxInFlight: fake.maxInFlight,
      peakRssMb: peakRssMb(),
    };
  } finally {
    await docbatch.close();
    await fake.close();
  }
});
