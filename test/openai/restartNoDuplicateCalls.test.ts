import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import OpenAI from "openai";
import { freePort } from "../support/azurite.js";
import { startFakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { clientsOf, groupGone, startLocal, stopLocal } from "../support/localProcess.js";
import { chatLine, fileLines, gate, jsonlOf, MODEL, uploadJsonl, waitForBatch } from "./batchSupport.js";

const LINES = 400;
/** Lines answered before the crash: 5 of every 8, so every group of 8 has lines still waiting and none records its outcomes. */
const answeredFirst = (line: number) => line % 8 < 5;

function lineOf(promptText: string): number {
  const match = /question (\d+)/.exec(promptText);
  assert.ok(match, `a request of the batch: ${promptText}`);
  return Number(match[1]);
}

/** Output records (`<index>\t<o...>`) in the batch's work parts: answers the app has recorded. */
async function recordedAnswers(local: Parameters<typeof clientsOf>[0]): Promise<number> {
  const { blobService } = clientsOf(local);
  let records = 0;
  for await (const container of blobService.listContainers()) {
    if (!container.name.endsWith("-openai-batches")) continue;
    const client = blobService.getContainerClient(container.name);
    for await (const blob of client.listBlobsFlat()) {
      if (!blob.name.includes("/parts/")) continue;
      const text = (await client.getBlobClient(blob.name).downloadToBuffer()).toString("utf8");
      records += text.split("\n").filter((record) => /^\d+\to/.test(record)).length;
    }
  }
  return records;
}

test("after an app SIGKILL mid-batch and a restart, no line answered before the crash is sent upstream again", { timeout: 300_000 }, async () => {
  const fake = await startFakeOpenAiUpstream({ models: [MODEL] });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-openai-crash-"));
  const port = await freePort();
  const env = { DOCBATCH_LLM_ENDPOINT: fake.baseUrl, DOCBATCH_LLM_MODELS: MODEL, DOCBATCH_LLM_REQUESTS_PER_MINUTE: "60000", DOCBATCH_LLM_TOKENS_PER_MINUTE: "100000000" };
  // Before the crash: lines answered at once until `frozen`, the rest held until the app is dead
  // (then answered 503 into the void: an answer nobody received is not an answered call).
  const held = gate();
  let frozen = false;
  fake.script({
    answer: async (request) => {
      if (!frozen && answeredFirst(lineOf(request.promptText))) return {};
      await held.wait;
      return { status: 503 };
    },
  });
  let local = await startLocal(dataDir, port, { env });
  try {
    const openai = () => new OpenAI({ baseURL: `${local.values.DOCBATCH_URL}/v1`, apiKey: local.values.DOCBATCH_KEY, maxRetries: 0 });
    const lines = Array.from({ length: LINES }, (_, i) => chatLine(i));
    const inputFileId = await uploadJsonl(openai(), jsonlOf(lines));
    const batch = await openai().batches.create({ input_file_id: inputFileId, endpoint: "/v1/chat/completions", completion_window: "24h" });

    const answered = () => fake.requests.filter((request) => request.status === 200).length;
    while (answered() < 24) await new Promise((resolve) => setTimeout(resolve, 50));
    frozen = true;
    // Every answer given has been recorded by the app: none is in flight when it dies.
    while ((await recordedAnswers(local)) < answered()) await new Promise((resolve) => setTimeout(resolve, 50));
    const answeredBeforeCrash = answered();
    assert.ok(answeredBeforeCrash < LINES, "the batch is mid-way");

    local.child.kill("SIGKILL");
    assert.equal((await local.exited).signal, "SIGKILL");
    await groupGone(local.child.pid!);
    held.open();

    fake.script({ answer: {} });
    local = await startLocal(dataDir, port, { env });
    const done = await waitForBatch(openai(), batch.id);
    assert.equal(done.status, "completed", JSON.stringify(done));
    assert.deepEqual(done.request_counts, { total: LINES, completed: LINES, failed: 0 });

    const answers = new Map<number, number>();
    for (const request of fake.requests) {
      if (request.status !== 200) continue;
      const line = lineOf(JSON.stringify(request.body.messages));
      answers.set(line, (answers.get(line) ?? 0) + 1);
    }
    const twice = [...answers].filter(([, count]) => count > 1).map(([line]) => `task-${line}`);
    assert.deepEqual(twice, [], `answered 200 more than once (paid twice): ${twice.length} of the ${answeredBeforeCrash} answered before the crash`);
    assert.equal(answers.size, LINES, "every line was answered");

    const output = await fileLines(openai(), done.output_file_id);
    assert.equal(output.length, LINES);
    assert.equal(new Set(output.map((line) => line.custom_id)).size, LINES, "each custom_id once in the output");
    assert.ok(output.every((line) => line.response.status_code === 200));
  } finally {
    held.open();
    await stopLocal(local);
    await fake.close();
  }
});
