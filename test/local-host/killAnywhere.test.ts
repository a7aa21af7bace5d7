// Kill anywhere: `npm run local --data` SIGKILLed as a whole process group (or its Azurite alone)
// at points a seeded generator picks, restarted on the same folder; every batch must still end
// with an honest account of every item. The seed is printed; DOCBATCH_KILL_SEED=<seed> replays it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI, { toFile } from "openai";
import { isUnexpected } from "@azure-rest/ai-document-intelligence";
import { freePort } from "../support/azurite.js";
import type { Docbatch } from "../support/docbatchHost.js";
import { startFakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { clientsOf, groupGone, startAnalyzeBatch, startLocal, stopLocal, type RunningLocal, type StartLocalOptions } from "../support/localProcess.js";
import { uploadBatchHttp } from "../uploadBatch/support.js";

const seed = process.env.DOCBATCH_KILL_SEED ? Number(process.env.DOCBATCH_KILL_SEED) : randomInt(2 ** 31);
process.stderr.write(`kill-anywhere seed ${seed} (replay: DOCBATCH_KILL_SEED=${seed})\n`);

/** mulberry32: a small seeded generator, so the kill points of a failed run can be replayed. */
function seededRandom(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Each test its own stream (the test order must not change another test's points). */
function killPoints(testName: string, count: number): number[] {
  let salt = 0;
  for (const char of testName) salt = (Math.imul(salt, 31) + char.charCodeAt(0)) >>> 0;
  const random = seededRandom(seed ^ salt);
  // Increasing fractions of the work, each between 5 % and 95 %.
  return Array.from({ length: count }, () => 0.05 + 0.9 * random()).sort((a, b) => a - b);
}

/** One `npm run local --data` folder and port, started and hard-killed as often as a test wants. */
class KilledRun {
  local!: RunningLocal;
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-kill-"));
  private port = 0;

  constructor(private readonly options: StartLocalOptions = {}) {}

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.local = await startLocal(this.dataDir, this.port, this.options);
    return this;
  }

  /** SIGKILL of the whole process group (the host and its Azurite), as a power cut or OOM kill would. */
  async killGroup(): Promise<void> {
    const pid = this.local.child.pid!;
    process.kill(-pid, "SIGKILL");
    await this.local.exited;
    await groupGone(pid);
  }

  async restart(): Promise<void> {
    await this.killGroup();
    await this.start();
  }

  /** The host's Azurite (a child process running the launcher). */
  azuritePid(): number {
    const pid = Number(execFileSync("pgrep", ["-P", String(this.local.child.pid), "-f", "azuriteLauncher"], { encoding: "utf8" }).trim());
    assert.ok(pid > 0, "the host runs Azurite as a child process");
    return pid;
  }

  /** SIGKILL of the host's Azurite alone; resolves once the host reports it running again. */
  async killAzurite(): Promise<void> {
    const logged = this.local.stderr().length;
    process.kill(this.azuritePid(), "SIGKILL");
    while (!this.local.stderr().slice(logged).includes("Azurite is running again")) {
      assert.equal(this.local.child.exitCode, null, `the host stopped after Azurite was killed: ${this.local.stderr().slice(logged)}`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    if (this.local) await stopLocal(this.local);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Retries a call while the run is down or restarting (connection refused, 503). */
async function whileUp<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch {
      await sleep(100);
    }
  }
}

// ---- Document Intelligence -------------------------------------------------------------------

const DI_DOCUMENTS = 80;

async function startDiBatch(run: KilledRun) {
  const documents: Record<string, string> = {};
  for (let i = 0; i < DI_DOCUMENTS; i++) documents[`docs/k${String(i).padStart(3, "0")}.txt`] = `Kill test document ${i}\n\nmarker-${i}`;
  const { initial, results } = await startAnalyzeBatch(run.local, documents);
  const resultId = new URL(initial.headers["operation-location"]).pathname.split("/").pop()!;
  const status = async () => {
    const answer = await clientsOf(run.local).documentIntelligence().path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", "prebuilt-read", resultId).get();
    if (isUnexpected(answer)) throw new Error(`status answered ${answer.status}`);
    return answer.body;
  };
  return { resultsContainer: results.containerName, status };
}

type DiStatus = Awaited<ReturnType<Awaited<ReturnType<typeof startDiBatch>>["status"]>>;

function diDone(status: DiStatus): number {
  const result = status.result;
  return (result?.succeededCount ?? 0) + (result?.failedCount ?? 0) + (result?.skippedCount ?? 0);
}

async function untilDi(batch: Awaited<ReturnType<typeof startDiBatch>>, until: (status: DiStatus) => boolean): Promise<DiStatus> {
  for (;;) {
    const status = await whileUp(batch.status);
    if (until(status) || ["succeeded", "failed", "canceled"].includes(status.status)) return status;
    await sleep(50);
  }
}

async function checkDiBatch(run: KilledRun, batch: Awaited<ReturnType<typeof startDiBatch>>): Promise<void> {
  const final = await untilDi(batch, () => false);
  assert.equal(final.status, "succeeded", JSON.stringify(final).slice(0, 600));
  const result = final.result!;
  assert.equal(result.succeededCount + result.failedCount + result.skippedCount, DI_DOCUMENTS, "counts add up to the item count");
  assert.equal(result.succeededCount, DI_DOCUMENTS);
  const details = result.details ?? [];
  assert.equal(details.length, DI_DOCUMENTS);
  assert.deepEqual(details.filter((detail) => detail.status !== "succeeded").map((detail) => `${detail.sourceUrl}: ${detail.status}`), [], "no item left notStarted or running");
  assert.equal(new Set(details.map((detail) => detail.sourceUrl)).size, DI_DOCUMENTS, "each document once");
  // Every result present exactly once, and readable.
  const container = clientsOf(run.local).blobService.getContainerClient(batch.resultsContainer);
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  assert.equal(names.length, DI_DOCUMENTS, `result blobs: ${names.length}`);
  for (const detail of details) {
    const name = decodeURIComponent(new URL(detail.resultUrl!).pathname.split("/").slice(3).join("/"));
    const body = JSON.parse((await container.getBlobClient(name).downloadToBuffer()).toString("utf8"));
    const index = /k(\d+)\.txt/.exec(detail.sourceUrl)![1];
    assert.ok(JSON.stringify(body).includes(`marker-${Number(index)}`), `${name} holds its document's text`);
  }
}

test("a Document Intelligence batch survives SIGKILLs of the whole npm run local group at random points", { timeout: 300_000 }, async (t) => {
  const points = killPoints(t.name, 2);
  t.diagnostic(`seed ${seed}: kills at ${points.map((point) => `${Math.round(point * 100)} %`).join(", ")} of the documents`);
  const run = await new KilledRun().start();
  try {
    const batch = await startDiBatch(run);
    for (const point of points) {
      const seen = await untilDi(batch, (status) => diDone(status) >= point * DI_DOCUMENTS);
      t.diagnostic(`killed at ${diDone(seen)} of ${DI_DOCUMENTS} documents done (${seen.status})`);
      await run.restart();
    }
    await checkDiBatch(run, batch);
  } finally {
    await run.stop();
  }
});

test("a Document Intelligence batch survives its Azurite alone being SIGKILLed: the host restarts it", { timeout: 300_000 }, async (t) => {
  const points = killPoints(t.name, 2);
  t.diagnostic(`seed ${seed}: Azurite killed at ${points.map((point) => `${Math.round(point * 100)} %`).join(", ")} of the documents`);
  const run = await new KilledRun().start();
  try {
    const batch = await startDiBatch(run);
    for (const point of points) {
      const seen = await untilDi(batch, (status) => diDone(status) >= point * DI_DOCUMENTS);
      t.diagnostic(`Azurite killed at ${diDone(seen)} of ${DI_DOCUMENTS} documents done`);
      await run.killAzurite();
    }
    await checkDiBatch(run, batch);
    assert.match(run.local.stderr(), /Azurite exited unexpectedly \(SIGKILL\): restarting it on the same ports and folder/);
  } finally {
    await run.stop();
  }
});

// ---- OpenAI batch ----------------------------------------------------------------------------

const OPENAI_LINES = 100;
const MODEL = "gpt-4o-mini";

test("an OpenAI batch survives SIGKILLs of the whole npm run local group at random points: every custom_id once in output + error", { timeout: 300_000 }, async (t) => {
  const points = killPoints(t.name, 2);
  t.diagnostic(`seed ${seed}: kills at ${points.map((point) => `${Math.round(point * 100)} %`).join(", ")} of the lines`);
  const fake = await startFakeOpenAiUpstream({ models: [MODEL], latencyMs: 250 });
  const run = await new KilledRun({
    // 50 calls/s at most: the lines take a few seconds, so the kills land while they run.
    env: { DOCBATCH_LLM_ENDPOINT: fake.baseUrl, DOCBATCH_LLM_MODELS: MODEL, DOCBATCH_LLM_REQUESTS_PER_MINUTE: "3000", DOCBATCH_LLM_TOKENS_PER_MINUTE: "100000000" },
  }).start();
  const client = () => new OpenAI({ baseURL: `${run.local.values.DOCBATCH_URL}/v1`, apiKey: run.local.values.DOCBATCH_KEY, maxRetries: 0 });
  try {
    // Every fifth line is refused upstream: the error file has lines too.
    fake.reject((request) => /question (\d*[05])\b/.test(request.promptText), { status: 400, message: "refused by the test" });
    const lines = Array.from({ length: OPENAI_LINES }, (_, i) =>
      JSON.stringify({ custom_id: `task-${i}`, method: "POST", url: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: `question ${i}` }], max_tokens: 20 } }),
    );
    const file = await client().files.create({ file: await toFile(Buffer.from(`${lines.join("\n")}\n`), "kill.jsonl"), purpose: "batch" });
    const batch = await client().batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    const done = (b: OpenAI.Batches.Batch) => (b.request_counts?.completed ?? 0) + (b.request_counts?.failed ?? 0);
    const until = async (check: (b: OpenAI.Batches.Batch) => boolean) => {
      for (;;) {
        const current = await whileUp(() => client().batches.retrieve(batch.id));
        if (check(current) || ["completed", "failed", "expired", "cancelled"].includes(current.status)) return current;
        await sleep(50);
      }
    };
    for (const point of points) {
      const seen = await until((b) => done(b) >= point * OPENAI_LINES);
      t.diagnostic(`killed at ${done(seen)} of ${OPENAI_LINES} lines done (${seen.status})`);
      await run.restart();
    }
    const final = await until(() => false);
    assert.equal(final.status, "completed", JSON.stringify(final));
    assert.equal(final.request_counts?.total, OPENAI_LINES);
    assert.equal((final.request_counts?.completed ?? 0) + (final.request_counts?.failed ?? 0), OPENAI_LINES, "counts add up to the line count");
    const read = async (id: string | null | undefined) => (id ? (await (await client().files.content(id)).text()).split("\n").filter(Boolean).map((line) => JSON.parse(line) as { custom_id: string }) : []);
    const seen = [...(await read(final.output_file_id)), ...(await read(final.error_file_id))].map((line) => line.custom_id);
    const counts = new Map<string, number>();
    for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.deepEqual([...counts].filter(([, count]) => count !== 1), [], "no custom_id twice");
    assert.deepEqual(lines.map((_, i) => `task-${i}`).filter((id) => !counts.has(id)), [], "no custom_id missing from output + error");
    assert.equal(final.request_counts?.failed, OPENAI_LINES / 5);
  } finally {
    await run.stop();
    await fake.close();
  }
});

// ---- upload batch ----------------------------------------------------------------------------

const UPLOADS = 40;

test("an upload batch survives SIGKILLs of the whole group while uploading and while processing: no index given twice, no result missing", { timeout: 300_000 }, async (t) => {
  const [uploadPoint, processPoint] = killPoints(t.name, 2);
  const killAfterUploads = Math.max(1, Math.round(uploadPoint * UPLOADS));
  t.diagnostic(`seed ${seed}: kill after ${killAfterUploads} acknowledged uploads, then at ${Math.round(processPoint * 100)} % of processing`);
  const run = await new KilledRun().start();
  const http = () => uploadBatchHttp({ host: { url: run.local.values.DOCBATCH_URL }, apiKey: run.local.values.DOCBATCH_KEY } as Docbatch);
  try {
    const { jobGuid } = await http().create({ maxConcurrency: 3 });
    /** Acknowledged index → the document it was given to. */
    const acknowledged = new Map<number, number>();
    const document = (i: number) => ({ bytes: Buffer.from(`Upload number ${i}\nmarker-${i}\n`), name: `doc-${i}.txt`, type: "text/plain" });
    // Four clients upload at once; the group is killed once killAfterUploads answers came back.
    let next = 0;
    const unacknowledged: number[] = [];
    let killing: Promise<void> | undefined;
    const client = async () => {
      while (next < UPLOADS) {
        const i = next++;
        if (killing) {
          unacknowledged.push(i);
          continue;
        }
        const answer = await http().upload(jobGuid, document(i)).catch(() => undefined);
        if (answer?.status !== 200) {
          unacknowledged.push(i);
          continue;
        }
        assert.ok(!acknowledged.has(answer.body.index), `index ${answer.body.index} given twice`);
        acknowledged.set(answer.body.index, i);
        if (acknowledged.size >= killAfterUploads) killing ??= run.killGroup();
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    await killing;
    t.diagnostic(`killed after ${acknowledged.size} acknowledged uploads; ${unacknowledged.length} to upload again`);
    await run.start();
    for (const i of unacknowledged) {
      const answer = await http().upload(jobGuid, document(i));
      assert.equal(answer.status, 200, answer.text);
      assert.ok(!acknowledged.has(answer.body.index), `index ${answer.body.index} given twice (after the restart)`);
      acknowledged.set(answer.body.index, i);
    }
    const before = await http().status(jobGuid);
    assert.ok(before.body.totalDocs >= UPLOADS, `every acknowledged upload is kept: ${before.body.totalDocs} of ${UPLOADS}`);

    assert.equal((await http().process(jobGuid, { extractionMode: "OCR" })).status, 200);
    for (;;) {
      const status = await whileUp(() => http().status(jobGuid));
      const finished = (status.body.completedDocs ?? 0) + (status.body.failedDocs ?? 0);
      if (finished >= processPoint * status.body.totalDocs || status.body.status === "COMPLETED" || status.body.status === "ERROR") {
        t.diagnostic(`killed at ${finished} of ${status.body.totalDocs} documents processed (${status.body.status})`);
        break;
      }
      await sleep(50);
    }
    await run.restart();

    const job = await whileUp(() => http().waitUntilDone(jobGuid, 240_000));
    assert.equal(job.status, "COMPLETED", JSON.stringify(job));
    assert.equal(job.completedDocs + job.failedDocs, job.totalDocs, "counts add up to the document count");
    assert.equal(job.inProgressDocs, 0);
    const results = (await http().call("GET", `/job/result/${jobGuid}/json`)).body as (string | null)[];
    assert.equal(results.length, job.totalDocs);
    assert.deepEqual(results.flatMap((result, index) => (typeof result === "string" ? [] : [index])), [], "no result missing");
    for (const [index, i] of acknowledged) assert.match(results[index]!, new RegExp(`marker-${i}\\b`), `index ${index} holds the document it was acknowledged for`);
    // An upload the kill cut short may have taken an index without answering: its document is an
    // extra one (read, or failed with an error), never one a client was told about.
    const extra = results.flatMap((result, index) => (acknowledged.has(index) ? [] : [`${index}: ${result!.slice(0, 120)}`]));
    t.diagnostic(`indexes taken by uploads the kill cut short: ${extra.length ? extra.join(" | ") : "none"}`);
    assert.equal(job.failedDocs, results.filter((result) => result!.startsWith("Error:")).length);
    assert.ok(job.failedDocs <= extra.length, "only documents no client was told about may fail");
  } finally {
    await run.stop();
  }
});

test("an Azurite that keeps dying stops npm run local with a clear message instead of serving 503 forever", { timeout: 120_000 }, async () => {
  const run = await new KilledRun().start();
  try {
    // Three deaths within a minute are restarted; the fourth is one too many.
    for (let death = 1; death <= 3; death++) await run.killAzurite();
    process.kill(run.azuritePid(), "SIGKILL");
    const exit = await run.local.exited;
    assert.equal(exit.code, 1, run.local.stderr());
    assert.match(run.local.stderr(), /Azurite exited unexpectedly \(SIGKILL\), the 4th failure within 60 s: stopping everything/);
    assert.ok(!fs.existsSync(path.join(run.dataDir, "local.lock")), "the folder is released");
    await groupGone(run.local.child.pid!);
  } finally {
    await run.stop();
  }
});
