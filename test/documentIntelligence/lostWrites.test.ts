import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { odata, TableClient, AzureNamedKeyCredential } from "@azure/data-tables";
import { after, before, describe, test } from "node:test";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { itemRowKey, TableStatusStore } from "../../src/storage/tableStatusStore.js";
import { createContainer, listBlobNames, readJsonBlob, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const API_VERSION = "api-version=2024-11-30";

/**
 * Writes the app saw acknowledged, lost under a running batch as a storage rolled back after a
 * kill loses them: the batch still ends with every document settled once, every result present
 * and counts that add up, because the engine checks before the final status and runs what is
 * unsettled again. The first check is made to fail once, so the test changes storage while the
 * orchestration waits to retry it.
 */
describe("Document Intelligence batch with writes lost under it", { timeout: 120_000 }, () => {
  let docbatch: Docbatch;
  const tablePrefix = `lw${randomUUID().replace(/-/g, "").slice(0, 10)}`;
  before(async () => {
    docbatch = await startDocbatch({ env: { DOCBATCH_TABLE_PREFIX: tablePrefix } });
  });
  after(async () => docbatch?.close());

  async function call(path: string, init: RequestInit = {}) {
    const response = await fetch(`${docbatch.host.url}${path}`, { ...init, headers: { "content-type": "application/json", "ocp-apim-subscription-key": docbatch.apiKey } });
    return { status: response.status, headers: response.headers, body: (await response.json().catch(() => undefined)) as any };
  }

  test("an outcome lost with its counter, one lost alone and a deleted result are repaired: counted once, no OutputExists", async () => {
    const names = Array.from({ length: 6 }, (_, i) => `doc-${i}.txt`);
    const source = await createContainer(docbatch.blobService, Object.fromEntries(names.map((n) => [n, `text of ${n}`])));
    const results = await createContainer(docbatch.blobService);
    const firstCheck = docbatch.host.faults.failActivity("verifyBatch", { times: 1, message: "injected: check later" });
    const started = await call(`/documentintelligence/documentModels/prebuilt-read:analyzeBatch?${API_VERSION}`, {
      method: "POST",
      body: JSON.stringify({ azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") }, resultContainerUrl: await sasUrlFor(results, docbatch.azurite) }),
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const operation = new URL(started.headers.get("operation-location")!);
    const batchId = operation.pathname.split("/").at(-1)!;

    // Every document has been processed once the first check runs (and fails, to be retried in 2 s).
    const deadline = Date.now() + 60_000;
    while (firstCheck.triggered === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(firstCheck.triggered, 1);

    const storage = createAppStorage({ AzureWebJobsStorage: docbatch.azurite.connectionString });
    const store = new TableStatusStore(storage, { tablePrefix });
    const items = new TableClient(docbatch.azurite.tableEndpoint, `${tablePrefix}Documents`, new AzureNamedKeyCredential(docbatch.azurite.accountName, docbatch.azurite.accountKey), {
      allowInsecureConnection: true,
    });
    // Document 1: its outcome and counter lost together (one transaction rolled back).
    assert.equal(await store.reopenItems(batchId, [1]), 1);
    // Document 2: its row lost its outcome, its counter kept it.
    await items.updateEntity({ partitionKey: batchId, rowKey: itemRowKey(2), status: "notStarted" }, "Merge");
    // Document 4: its result blob lost.
    const resultNames = await listBlobNames(results);
    assert.equal(resultNames.length, 6);
    await results.getBlobClient(resultNames.find((name) => name.startsWith("doc-4"))!).delete();

    let final: any;
    while (Date.now() < deadline) {
      const polled = await call(`${operation.pathname}?${API_VERSION}`);
      if (["succeeded", "failed", "canceled"].includes(polled.body?.status)) {
        final = polled.body;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(final?.status, "succeeded");
    assert.equal(final.result.succeededCount, 6);
    assert.equal(final.result.failedCount, 0);
    assert.equal(final.result.skippedCount, 0, "a result this batch wrote itself is its success, not OutputExists");
    assert.ok(final.result.details.every((detail: any) => detail.status === "succeeded"));
    const written = await listBlobNames(results);
    assert.equal(written.length, 6);
    for (const name of written) assert.equal((await readJsonBlob(results, name)).status, "succeeded");

    const row = await store.getBatch("documentIntelligence", batchId);
    assert.equal(row?.repairs?.items, 3);
    assert.equal(row?.repairs?.counters, 1, "document 2's counter was rebuilt from the rows");
    const shards = items.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${batchId} and RowKey lt ${"d"}` } });
    let counted = 0;
    for await (const shard of shards) counted += Number(shard.succeeded ?? 0);
    assert.equal(counted, 6);
  });
});
