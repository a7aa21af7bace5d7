import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI, { AzureOpenAI } from "openai";
import type { Docbatch } from "../support/docbatchHost.js";
import type { FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { API_VERSION, chatLine, fileLines, jsonlOf, MODEL, startBatchHost, uploadJsonl, waitForBatch } from "./batchSupport.js";

describe("OpenAI Batch API through the official clients", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let openai: OpenAI;
  let azure: AzureOpenAI;
  before(async () => {
    ({ fake, docbatch } = await startBatchHost({ models: [MODEL, "text-embedding-3-small"], env: { DOCBATCH_OPENAI_MAX_LINES: "50" } }));
    openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0 });
    azure = new AzureOpenAI({ endpoint: docbatch.host.url, apiKey: docbatch.apiKey, apiVersion: API_VERSION, maxRetries: 0 });
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });

  test("runs 30 lines: one rejected by the upstream goes to the error file, one failing once with 500 is retried", async () => {
    fake.reject((request) => JSON.stringify(request.body).includes("question 7"), { status: 400, message: "This prompt is not allowed.", code: "content_filter" });
    fake.failOnce((request) => JSON.stringify(request.body).includes("question 12"));
    const inputFileId = await uploadJsonl(openai, jsonlOf(Array.from({ length: 30 }, (_, i) => chatLine(i))));
    const created = await openai.batches.create({ input_file_id: inputFileId, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { project: "docbatch" } });
    assert.match(created.id, /^batch_/);
    assert.equal(created.object, "batch");
    assert.equal(created.status, "validating");
    assert.equal(created.input_file_id, inputFileId);
    assert.deepEqual(created.metadata, { project: "docbatch" });
    assert.equal(created.expires_at, created.created_at + 24 * 3600);

    const done = await waitForBatch(openai, created.id);
    assert.equal(done.status, "completed");
    assert.deepEqual(done.request_counts, { total: 30, completed: 29, failed: 1 });
    assert.equal(done.model, MODEL);
    assert.ok(done.in_progress_at && done.finalizing_at && done.completed_at);
    assert.ok(done.usage && done.usage.input_tokens > 0 && done.usage.output_tokens > 0);
    assert.equal(done.usage!.total_tokens, done.usage!.input_tokens + done.usage!.output_tokens);

    const output = await fileLines(openai, done.output_file_id);
    assert.equal(output.length, 29);
    assert.deepEqual(output.map((line) => line.custom_id), Array.from({ length: 30 }, (_, i) => `task-${i}`).filter((id) => id !== "task-7"));
    for (const line of output) {
      assert.match(line.id, /^batch_req_/);
      assert.equal(line.error, null);
      assert.equal(line.response.status_code, 200);
      assert.equal(typeof line.response.request_id, "string");
      assert.equal(line.response.body.object, "chat.completion");
    }
    const errors = await fileLines(openai, done.error_file_id);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].custom_id, "task-7");
    assert.equal(errors[0].response.status_code, 400);
    assert.equal(errors[0].response.body.error.code, "content_filter");
    // Line 12 reached the upstream twice: once failing, once answered.
    const twelve = fake.requests.filter((request) => JSON.stringify(request.body).includes("question 12"));
    assert.deepEqual(twelve.map((request) => request.status), [500, 200]);

    const outputFile = await openai.files.retrieve(done.output_file_id!);
    assert.equal(outputFile.purpose, "batch_output");
    assert.equal(outputFile.bytes, Buffer.byteLength(await (await openai.files.content(done.output_file_id!)).text()));
  });

  test("the Azure client creates under its deployment; a batch without failures still gets an empty error file", async () => {
    const deployed = new AzureOpenAI({ endpoint: docbatch.host.url, apiKey: docbatch.apiKey, apiVersion: API_VERSION, deployment: MODEL, maxRetries: 0 });
    const lines = Array.from({ length: 5 }, (_, i) => ({ ...chatLine(i), url: "/chat/completions" }));
    const inputFileId = await uploadJsonl(azure, jsonlOf(lines));
    const created = await deployed.batches.create({ input_file_id: inputFileId, endpoint: "/chat/completions" as "/v1/chat/completions", completion_window: "24h" }); // Azure writes it without /v1
    const done = await waitForBatch(azure, created.id);
    assert.equal(done.status, "completed");
    assert.deepEqual(done.request_counts, { total: 5, completed: 5, failed: 0 });
    assert.equal((await fileLines(azure, done.output_file_id)).length, 5);
    assert.ok(done.error_file_id);
    assert.equal(await (await azure.files.content(done.error_file_id!)).text(), "");
    // The same batch through the OpenAI form and Azure's /openai/v1 path.
    assert.equal((await openai.batches.retrieve(created.id)).status, "completed");
  });

  test("embeddings lines run against /v1/embeddings", async () => {
    const lines = Array.from({ length: 3 }, (_, i) => ({ custom_id: `e-${i}`, method: "POST", url: "/v1/embeddings", body: { model: "text-embedding-3-small", input: `text ${i}` } }));
    const created = await openai.batches.create({ input_file_id: await uploadJsonl(openai, jsonlOf(lines)), endpoint: "/v1/embeddings", completion_window: "24h" });
    const done = await waitForBatch(openai, created.id);
    assert.equal(done.status, "completed");
    const output = await fileLines(openai, done.output_file_id);
    assert.equal(output.length, 3);
    assert.equal(output[0].response.body.object, "list");
  });

  const invalidFiles: [string, string, unknown[], number | null][] = [
    ["invalid_json_line", "a line that is not JSON", [chatLine(0), "{not json", chatLine(2)], 2],
    ["invalid_request", "a line without custom_id", [chatLine(0), { method: "POST", url: "/v1/chat/completions", body: { model: MODEL } }], 2],
    ["duplicate_custom_id", "two lines with one custom_id", [chatLine(0), chatLine(1), chatLine(1)], 3],
    ["url_mismatch", "a line for another endpoint", [chatLine(0), { ...chatLine(1), url: "/v1/embeddings" }], 2],
    ["model_mismatch", "two models in one file", [chatLine(0), { ...chatLine(1), body: { model: "gpt-4.1", messages: [] } }], 2],
    ["model_not_found", "a model no upstream serves", [{ ...chatLine(0), body: { model: "no-such-model", messages: [] } }], 1],
    ["too_many_tasks", "more lines than DOCBATCH_OPENAI_MAX_LINES", Array.from({ length: 51 }, (_, i) => chatLine(i)), 51],
    ["empty_file", "a file with only blank lines", ["", "  "], null],
  ];
  for (const [code, what, lines, line] of invalidFiles) {
    test(`fails validation with ${code} for ${what}`, async () => {
      const created = await openai.batches.create({ input_file_id: await uploadJsonl(openai, jsonlOf(lines)), endpoint: "/v1/chat/completions", completion_window: "24h" });
      const done = await waitForBatch(openai, created.id);
      assert.equal(done.status, "failed");
      assert.ok(done.failed_at);
      assert.equal(done.output_file_id, null);
      const first = done.errors?.data?.[0];
      assert.equal(first?.code, code, JSON.stringify(done.errors));
      assert.equal(first?.line ?? null, line);
      assert.ok((first?.message ?? "").length > 10);
    });
  }

  test("a UTF-8 byte order mark and CRLF line ends are accepted", async () => {
    const content = `\uFEFF${[chatLine(0), chatLine(1)].map((line) => JSON.stringify(line)).join("\r\n")}\r\n`;
    const created = await openai.batches.create({ input_file_id: await uploadJsonl(openai, content), endpoint: "/v1/chat/completions", completion_window: "24h" });
    const done = await waitForBatch(openai, created.id);
    assert.equal(done.status, "completed", JSON.stringify(done.errors));
    assert.deepEqual(done.request_counts, { total: 2, completed: 2, failed: 0 });
  });

  test("refuses bad create requests with 400s in OpenAI's format that name the parameter", async () => {
    const inputFileId = await uploadJsonl(openai, jsonlOf([chatLine(0)]));
    const cases: [Record<string, unknown>, string, number][] = [
      [{ input_file_id: inputFileId, endpoint: "/v1/images", completion_window: "24h" }, "endpoint", 400],
      [{ input_file_id: inputFileId, endpoint: "/v1/chat/completions", completion_window: "48h" }, "completion_window", 400],
      [{ input_file_id: inputFileId, endpoint: "/v1/chat/completions" }, "completion_window", 400],
      [{ endpoint: "/v1/chat/completions", completion_window: "24h" }, "input_file_id", 400],
      [{ input_file_id: "file-nope", endpoint: "/v1/chat/completions", completion_window: "24h" }, "input_file_id", 404],
      [{ input_file_id: inputFileId, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, "metadata", 400],
      [{ input_file_id: inputFileId, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { k: "x".repeat(513) } }, "metadata", 400],
      [{ input_file_id: inputFileId, endpoint: "/v1/chat/completions", completion_window: "24h", output_expires_after: { anchor: "created_at", seconds: 60 } }, "output_expires_after.seconds", 400],
      [{ input_blob: "https://evil.example.com/c/in.jsonl", output_folder: { url: "https://evil.example.com/c" }, endpoint: "/v1/chat/completions", completion_window: "24h" }, "input_blob", 400],
    ];
    for (const [body, param, status] of cases) {
      const response = await fetch(`${docbatch.host.url}/v1/batches`, { method: "POST", headers: { authorization: `Bearer ${docbatch.apiKey}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(response.status, status, JSON.stringify(body).slice(0, 200));
      assert.equal(response.headers.get("x-should-retry"), "false");
      const answer = await response.json();
      assert.equal(answer.error.param, param, JSON.stringify(answer));
      assert.equal(typeof answer.error.message, "string");
    }
    const notJson = await fetch(`${docbatch.host.url}/v1/batches`, { method: "POST", headers: { "api-key": docbatch.apiKey }, body: "{" });
    assert.equal(notJson.status, 400);
    await assert.rejects(openai.batches.retrieve("batch_nope"), (error: unknown) => error instanceof OpenAI.NotFoundError);
    const unauthorized = await fetch(`${docbatch.host.url}/v1/batches`, { headers: { authorization: "Bearer wrong" } });
    assert.equal(unauthorized.status, 401);
  });

  test("lists batches newest first with paging", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await openai.batches.create({ input_file_id: await uploadJsonl(openai, jsonlOf([chatLine(i)])), endpoint: "/v1/chat/completions", completion_window: "24h" });
      ids.push(created.id);
    }
    const firstPage = await openai.batches.list({ limit: 2 });
    assert.deepEqual(firstPage.data.map((batch) => batch.id), [ids[2], ids[1]]);
    assert.equal(firstPage.hasNextPage(), true);
    const seen: string[] = [];
    for await (const batch of openai.batches.list({ limit: 2 })) seen.push(batch.id);
    assert.deepEqual(seen.slice(0, 3), [ids[2], ids[1], ids[0]]);
    assert.equal(new Set(seen).size, seen.length);
    for (const id of ids) await waitForBatch(openai, id);
  });
});
