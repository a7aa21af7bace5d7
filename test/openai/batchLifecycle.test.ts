import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import OpenAI from "openai";
import { clock } from "../../src/shared/clock.js";
import { createContainer, sasUrlFor, type Docbatch } from "../support/docbatchHost.js";
import type { FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { chatLine, fileLines, gate, jsonlOf, startBatchHost, uploadJsonl, waitForBatch } from "./batchSupport.js";

const HOUR_MS = 3_600_000;

describe("OpenAI batches: cancel, expiry, the blob form and retention", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let openai: OpenAI;
  before(async () => {
    // One activity at a time (8 lines): most of a batch is still queued when a test acts.
    ({ fake, docbatch } = await startBatchHost({ maxConcurrentActivities: 1, env: { DOCBATCH_OPENAI_ON_EXPIRY: "expire" } }));
    openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0 });
  });
  afterEach(() => {
    fake.reset();
    clock.reset();
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });

  async function held(lines: number) {
    const answers = gate();
    fake.script({ answer: async () => (await answers.wait, {}) });
    const created = await openai.batches.create({ input_file_id: await uploadJsonl(openai, jsonlOf(Array.from({ length: lines }, (_, i) => chatLine(i)))), endpoint: "/v1/chat/completions", completion_window: "24h" });
    while (fake.inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    return { created, answers };
  }

  test("cancel: no new lines start, lines in flight finish, the output file keeps what was done", async () => {
    const { created, answers } = await held(300);
    const cancelling = await openai.batches.cancel(created.id);
    assert.equal(cancelling.status, "cancelling");
    assert.ok(cancelling.cancelling_at);
    // Past the moment activities may still hold the batch row read before the cancel.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    answers.open();
    const done = await waitForBatch(openai, created.id);
    assert.equal(done.status, "cancelled");
    assert.ok(done.cancelled_at);
    assert.equal(done.request_counts?.total, 300);
    assert.ok(done.request_counts!.completed >= 1 && done.request_counts!.completed < 300, JSON.stringify(done.request_counts));
    const output = await fileLines(openai, done.output_file_id);
    assert.equal(output.length, done.request_counts!.completed);
    assert.ok(output.every((line) => line.response.status_code === 200));
    assert.equal(fake.requests.length, done.request_counts!.completed, "no line was sent after the cancel took hold");
    assert.equal((await openai.batches.cancel(created.id)).status, "cancelled", "cancelling again answers the batch as it is");
  });

  test("a completed batch cannot be cancelled (409, not retried)", async () => {
    const created = await openai.batches.create({ input_file_id: await uploadJsonl(openai, jsonlOf([chatLine(0)])), endpoint: "/v1/chat/completions", completion_window: "24h" });
    await waitForBatch(openai, created.id);
    const response = await fetch(`${docbatch.host.url}/v1/batches/${created.id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${docbatch.apiKey}` } });
    assert.equal(response.status, 409);
    assert.equal(response.headers.get("x-should-retry"), "false");
  });

  test("expiry (DOCBATCH_OPENAI_ON_EXPIRY=expire): lines not run within 24 h go to the error file as batch_expired", async () => {
    const { created, answers } = await held(40);
    clock.advance(25 * HOUR_MS);
    answers.open();
    const done = await waitForBatch(openai, created.id);
    assert.equal(done.status, "expired");
    assert.ok(done.expired_at);
    const output = await fileLines(openai, done.output_file_id);
    const errors = await fileLines(openai, done.error_file_id);
    assert.ok(output.length >= 1 && output.length < 40, `${output.length} lines ran`);
    assert.equal(output.length + errors.length, 40);
    assert.deepEqual(done.request_counts, { total: 40, completed: output.length, failed: errors.length });
    for (const line of errors) {
      assert.equal(line.response, null);
      assert.equal(line.error.code, "batch_expired");
    }
  });

  test("Azure's blob form: input_blob and output_folder, results as {folder}/{batch id}/results.jsonl and errors.jsonl", async () => {
    fake.reject((request) => JSON.stringify(request.body).includes("question 3"));
    const source = await createContainer(docbatch.blobService, { "in/requests.jsonl": jsonlOf(Array.from({ length: 6 }, (_, i) => chatLine(i))) });
    const results = await createContainer(docbatch.blobService);
    const sourceSas = new URL(await sasUrlFor(source, docbatch.azurite, "r"));
    const inputBlob = `${sourceSas.origin}${sourceSas.pathname}/in/requests.jsonl${sourceSas.search}`;
    const folderSas = new URL(await sasUrlFor(results, docbatch.azurite, "rwlc"));
    const folder = `${folderSas.origin}${folderSas.pathname}/runs${folderSas.search}`;
    const response = await fetch(`${docbatch.host.url}/openai/batches?api-version=2025-04-01-preview`, {
      method: "POST",
      headers: { "api-key": docbatch.apiKey, "content-type": "application/json" },
      body: JSON.stringify({ input_file_id: null, input_blob: inputBlob, output_folder: { url: folder }, endpoint: "/chat/completions", completion_window: "24h" }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const created = await response.json();
    assert.equal(created.input_file_id, null);
    assert.doesNotMatch(JSON.stringify(created), /sig=/, "the SAS is never returned");
    const done = (await waitForBatch(openai, created.id)) as unknown as Record<string, any>;
    assert.equal(done.status, "completed");
    assert.deepEqual(done.request_counts, { total: 6, completed: 5, failed: 1 });
    assert.equal(done.output_file_id, null);
    assert.equal(done.output_blob, `${results.url}/runs/${created.id}/results.jsonl`);
    assert.equal(done.error_blob, `${results.url}/runs/${created.id}/errors.jsonl`);
    const read = async (name: string) => (await results.getBlobClient(name).downloadToBuffer()).toString("utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
    assert.equal((await read(`runs/${created.id}/results.jsonl`)).length, 5);
    assert.deepEqual((await read(`runs/${created.id}/errors.jsonl`)).map((line) => line.custom_id), ["task-3"]);
  });

  test("the blob form refuses docbatch's own containers and traversal, before anything is read", async () => {
    const results = await createContainer(docbatch.blobService);
    const own = `${docbatch.azurite.blobEndpoint}/${process.env.DOCBATCH_TABLE_PREFIX!.toLowerCase()}-openai-files/file-x`;
    for (const [inputBlob, code] of [
      [own, "ForbiddenContainer"],
      [`${results.url}/../other/x.jsonl`, "InvalidContainerUrl"],
      [`${results.url}/a/%2e%2e/x.jsonl`, "InvalidContainerUrl"],
    ] as const) {
      const response = await fetch(`${docbatch.host.url}/v1/batches`, {
        method: "POST",
        headers: { authorization: `Bearer ${docbatch.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ input_blob: inputBlob, output_folder: { url: results.url }, endpoint: "/v1/chat/completions", completion_window: "24h" }),
      });
      assert.equal(response.status, 400, inputBlob);
      const body = await response.json();
      assert.equal(body.error.param, "input_blob");
      assert.equal(body.error.code, code, body.error.message);
    }
  });

  test("retention: output files expire as asked; the batch stays listable while its files exist, then goes", async () => {
    const inputFileId = await uploadJsonl(openai, jsonlOf([chatLine(0), chatLine(1)]));
    const created = await openai.batches.create({ input_file_id: inputFileId, endpoint: "/v1/chat/completions", completion_window: "24h", output_expires_after: { anchor: "created_at", seconds: 7200 } });
    const done = await waitForBatch(openai, created.id);
    const outputFile = await openai.files.retrieve(done.output_file_id!);
    assert.equal(outputFile.expires_at, outputFile.created_at + 7200, "counted from the file's creation, as OpenAI does");

    clock.advance(25 * HOUR_MS);
    await assert.rejects(openai.files.retrieve(done.output_file_id!), (error: unknown) => error instanceof OpenAI.NotFoundError, "an expired file is gone at once");
    await docbatch.host.fireTimer("purgeExpiredBatches");
    const files = docbatch.blobService.getContainerClient(`${process.env.DOCBATCH_TABLE_PREFIX!.toLowerCase()}-openai-files`);
    assert.equal(await files.getBlobClient(done.output_file_id!).exists(), false, "the timer deleted the expired file");

    const kept = await openai.batches.retrieve(created.id);
    assert.equal(kept.status, "completed");
    assert.deepEqual(kept.request_counts, { total: 2, completed: 2, failed: 0 }, "counts survive the purge of the line rows");
    assert.ok((await openai.batches.list({ limit: 100 })).data.some((batch) => batch.id === created.id));

    await openai.files.delete(inputFileId);
    await docbatch.host.fireTimer("purgeExpiredBatches");
    await assert.rejects(openai.batches.retrieve(created.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
  });
});
