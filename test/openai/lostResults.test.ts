import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { TableStatusStore } from "../../src/storage/tableStatusStore.js";
import type { Docbatch } from "../support/docbatchHost.js";
import type { FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { chatLine, fileLines, jsonlOf, startBatchHost, uploadJsonl, waitForBatch } from "./batchSupport.js";

/**
 * Lines whose answers storage lost after they were recorded (a part of the batch's work rolled
 * back, a line's row rolled back) are run again before the output files are assembled: every
 * custom_id ends in the output or error file exactly once, and the counts add up.
 */
describe("OpenAI batch with recorded answers lost under it", { timeout: 120_000 }, () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let openai: OpenAI;
  const tablePrefix = `lr${randomUUID().replace(/-/g, "").slice(0, 10)}`;
  before(async () => {
    ({ fake, docbatch } = await startBatchHost({ env: { DOCBATCH_TABLE_PREFIX: tablePrefix } }));
    openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0 });
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });

  test("a lost part of recorded answers and a lost line outcome: the lines run again, each custom_id once in the output", async () => {
    const lines = 20;
    const firstCheck = docbatch.host.faults.failActivity("verifyBatch", { times: 1, message: "injected: check later" });
    const created = await openai.batches.create({
      input_file_id: await uploadJsonl(openai, jsonlOf(Array.from({ length: lines }, (_, i) => chatLine(i)))),
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const deadline = Date.now() + 60_000;
    while (firstCheck.triggered === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(firstCheck.triggered, 1);
    assert.equal(fake.requests.length, lines);

    const storage = createAppStorage({ AzureWebJobsStorage: docbatch.azurite.connectionString });
    // Every answer recorded so far lost (the batch's only part), and line 7's outcome with its counter.
    const work = storage.blobService.getContainerClient(`${tablePrefix.toLowerCase()}-openai-batches`);
    await work.getBlobClient(`${created.id}/parts/000000`).delete();
    const store = new TableStatusStore(storage, { tablePrefix });
    assert.equal(await store.reopenItems(created.id, [7]), 1);

    const done = await waitForBatch(openai, created.id);
    assert.equal(done.status, "completed");
    assert.deepEqual({ total: done.request_counts?.total, completed: done.request_counts?.completed, failed: done.request_counts?.failed }, { total: lines, completed: lines, failed: 0 });
    const output = await fileLines(openai, done.output_file_id);
    assert.deepEqual(output.map((line) => line.custom_id).sort(), Array.from({ length: lines }, (_, i) => `task-${i}`).sort());
    assert.ok(output.every((line) => line.response.status_code === 200));
    assert.equal(done.error_file_id ? (await fileLines(openai, done.error_file_id)).length : 0, 0, "no line is reported lost");
    assert.equal(fake.requests.length, 2 * lines, "the lines whose answers were lost were sent again, once");
    assert.equal((await store.getBatch("openaiBatch", created.id))?.repairs?.items, lines);
  });
});
