import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import OpenAI, { AzureOpenAI } from "openai";
import { inputLimitsOf } from "../../src/kinds/openai/kind.js";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { TableStatusStore } from "../../src/storage/tableStatusStore.js";
import { createContainer, sasUrlFor, type Docbatch } from "../support/docbatchHost.js";
import type { FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { API_VERSION, chatLine, jsonlOf, startBatchHost, uploadJsonl, waitForBatch } from "./batchSupport.js";

async function itemRows(store: TableStatusStore, batchId: string): Promise<number> {
  let rows = 0;
  for await (const page of store.listItems(batchId)) rows += page.length;
  return rows;
}

describe("OpenAI batch input limits are checked before any item row is written", () => {
  const tablePrefix = `lim${randomUUID().replace(/-/g, "").slice(0, 10)}`;
  // Room for the 50,001-line file below (about 5 MB), not for the 9 MB blob.
  const maxFileBytes = 8 * 1024 * 1024;
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let openai: OpenAI;
  let store: TableStatusStore;
  before(async () => {
    ({ fake, docbatch } = await startBatchHost({ env: { DOCBATCH_TABLE_PREFIX: tablePrefix, DOCBATCH_OPENAI_MAX_FILE_BYTES: String(maxFileBytes) } }));
    openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0 });
    store = new TableStatusStore(createAppStorage({ AzureWebJobsStorage: docbatch.azurite.connectionString }), { tablePrefix });
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });

  test("each door's documented per-file request limit applies, capped by DOCBATCH_OPENAI_MAX_LINES", () => {
    const settings = { maxLines: 100_000, maxFileBytes };
    assert.equal(inputLimitsOf({ route: "openai" }, settings).maxLines, 50_000);
    assert.equal(inputLimitsOf({ route: "azure" }, settings).maxLines, 100_000);
    assert.equal(inputLimitsOf({}, settings).maxLines, 100_000, "batches from before routes were recorded keep Azure's limit");
    assert.equal(inputLimitsOf({ route: "azure" }, { ...settings, maxLines: 10 }).maxLines, 10);
  });

  test("a 50,001-line file on OpenAI's door fails with too_many_tasks at line 50,001, with no item row written", async () => {
    const lines = Array.from({ length: 50_001 }, (_, i) => JSON.stringify({ custom_id: `t${i}`, method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini" } }));
    const fileId = await uploadJsonl(openai, lines.join("\n"));
    const created = await openai.batches.create({ input_file_id: fileId, endpoint: "/v1/chat/completions", completion_window: "24h" });
    const done = await waitForBatch(openai, created.id);
    assert.equal(done.status, "failed");
    assert.equal(done.errors?.data?.[0]?.code, "too_many_tasks", JSON.stringify(done.errors));
    assert.equal(done.errors?.data?.[0]?.line, 50_001);
    assert.match(done.errors?.data?.[0]?.message ?? "", /50000/);
    assert.equal(await itemRows(store, created.id), 0);
    assert.equal(fake.requests.length, 0);
  });

  test("an input blob over the byte limit fails with file_too_large on Azure's door, with no item row written", async () => {
    const padding = "x".repeat(1024 * 1024);
    const oversized = jsonlOf(Array.from({ length: 9 }, (_, i) => chatLine(i, { body: { model: "gpt-4o-mini", messages: [{ role: "user", content: padding }] } })));
    assert.ok(Buffer.byteLength(oversized) > maxFileBytes);
    const source = await createContainer(docbatch.blobService, { "in/requests.jsonl": oversized });
    const results = await createContainer(docbatch.blobService);
    const sourceSas = new URL(await sasUrlFor(source, docbatch.azurite, "r"));
    const folderSas = new URL(await sasUrlFor(results, docbatch.azurite, "rwlc"));
    const azure = new AzureOpenAI({ endpoint: docbatch.host.url, apiKey: docbatch.apiKey, apiVersion: API_VERSION, maxRetries: 0 });
    const created = (await azure.batches.create({
      input_file_id: null as unknown as string,
      input_blob: `${sourceSas.origin}${sourceSas.pathname}/in/requests.jsonl${sourceSas.search}`,
      output_folder: { url: `${folderSas.origin}${folderSas.pathname}${folderSas.search}` },
      endpoint: "/chat/completions",
      completion_window: "24h",
    } as never)) as { id: string };
    const done = await waitForBatch(openai, created.id);
    assert.equal(done.status, "failed");
    assert.equal(done.errors?.data?.[0]?.code, "file_too_large", JSON.stringify(done.errors));
    assert.equal(await itemRows(store, created.id), 0);
    assert.equal(fake.requests.length, 0);
  });

});
