import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { AzureNamedKeyCredential, TableClient, TableTransaction } from "@azure/data-tables";
import { isUnexpected } from "@azure-rest/ai-document-intelligence";
import { createSecretBox, generateSecretBoxKey } from "../../src/storage/secretBox.js";
import { createContainer, listBlobNames, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const MODEL = "prebuilt-read";
const TABLE_PREFIX = "upgrade";
const OPTIONS = JSON.stringify({ stringIndexType: "textElements", outputContentFormat: "text", features: [], queryFields: [] });

/**
 * Batches started before the engine: their rows are in the old layout (PartitionKey = model id,
 * DI's fields as columns) and their orchestration is the old `analyzeBatch`. Both must still work.
 */
describe("upgrading from the Document Intelligence-only layout", () => {
  let docbatch: Docbatch;
  const encryptionKey = generateSecretBoxKey();
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true, env: { DOCBATCH_TABLE_PREFIX: TABLE_PREFIX, DOCBATCH_ENCRYPTION_KEY: encryptionKey } });
  });
  after(async () => docbatch?.close());

  const table = (name: string) =>
    new TableClient(docbatch.azurite.tableEndpoint, `${TABLE_PREFIX}${name}`, new AzureNamedKeyCredential(docbatch.azurite.accountName, docbatch.azurite.accountKey), {
      allowInsecureConnection: true,
    });

  /** A batch row, counters and document rows exactly as the code before the engine wrote them. */
  async function givenOldBatch(options: { documents: string[]; done: number; status: "running" | "succeeded" }) {
    const source = await createContainer(docbatch.blobService, Object.fromEntries(options.documents.map((name) => [name, `text of ${name}`])));
    const results = await createContainer(docbatch.blobService);
    const secrets = createSecretBox(encryptionKey);
    const batchId = randomUUID();
    const now = new Date().toISOString();
    const batches = table("Batches");
    const documents = table("Documents");
    await Promise.all([batches.createTable(), documents.createTable()]).catch(() => undefined);
    await batches.createEntity({
      partitionKey: MODEL,
      rowKey: batchId,
      batchId,
      modelId: MODEL,
      apiVersion: "2024-11-30",
      status: options.status,
      createdDateTime: now,
      lastUpdatedDateTime: now,
      ...(options.status === "succeeded" ? { completedDateTime: now, completedAt: new Date(now) } : {}),
      sourceKind: "container",
      sourceUrl: source.url,
      sourcePrefix: "",
      sealedSourceUrl: secrets.seal(await sasUrlFor(source, docbatch.azurite, "rl")),
      resultUrl: results.url,
      sealedResultUrl: secrets.seal(await sasUrlFor(results, docbatch.azurite)),
      resultPrefix: "",
      overwriteExisting: false,
      options: OPTIONS,
      documentCount: options.documents.length,
      documentsPerLeaf: 100,
      cancelRequested: false,
      deleted: false,
    });
    const rows = new TableTransaction();
    for (let shard = 0; shard < 16; shard++) {
      rows.upsertEntity({ partitionKey: batchId, rowKey: `c${String(shard).padStart(2, "0")}`, succeeded: shard < options.done ? 1 : 0, failed: 0, skipped: 0, canceled: 0 }, "Replace");
    }
    options.documents.forEach((name, index) =>
      rows.upsertEntity(
        { partitionKey: batchId, rowKey: `d${String(index).padStart(9, "0")}`, index, name, status: index < options.done ? "succeeded" : "notStarted", updatedDateTime: now },
        "Replace",
      ),
    );
    await documents.submitTransaction(rows.actions);
    return { batchId, results };
  }

  test("a batch the old orchestration was running finishes on the new code, counts exact", async () => {
    // Document 0 was analyzed before the upgrade (only 16 shards: index 0 is shard c00).
    const { batchId, results } = await givenOldBatch({ documents: ["a.txt", "b.txt", "c.txt"], done: 1, status: "running" });
    const started = await fetch(`${docbatch.host.url}/runtime/webhooks/durabletask/orchestrators/analyzeBatch/${batchId}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-functions-key": docbatch.host.systemKeys.durabletask_extension! },
      body: JSON.stringify({ batchId, modelId: MODEL }),
    });
    assert.equal(started.status, 202);
    const instance = await docbatch.host.durable.waitForInstance(batchId, { timeoutMs: 60_000 });
    assert.equal(instance.runtimeStatus, "Completed");

    const status = await docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", MODEL, batchId).get();
    if (isUnexpected(status)) throw new Error(`status answered ${status.status}`);
    assert.equal(status.body.status, "succeeded");
    assert.equal(status.body.result?.succeededCount, 3);
    assert.deepEqual(status.body.result?.details?.map((d) => d.status), ["succeeded", "succeeded", "succeeded"]);
    // b and c were analyzed after the upgrade; a's result was written before it (not by this test).
    assert.deepEqual(await listBlobNames(results), ["b.txt.ocr.json", "c.txt.ocr.json"]);
  });

  test("a batch finished before the upgrade is still listed, read and deleted", async () => {
    const { batchId } = await givenOldBatch({ documents: ["x.txt", "y.txt"], done: 2, status: "succeeded" });
    const route = docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", MODEL, batchId);
    const listed = await docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults", MODEL).get();
    if (isUnexpected(listed)) throw new Error(`list answered ${listed.status}`);
    assert.ok(listed.body.value.some((operation) => operation.resultId === batchId));
    const status = await route.get();
    if (isUnexpected(status)) throw new Error(`status answered ${status.status}`);
    assert.equal(status.body.status, "succeeded");
    assert.equal(status.body.result?.succeededCount, 2);
    assert.equal((await route.delete()).status, "204");
    assert.equal((await route.get()).status, "404");
  });
});
