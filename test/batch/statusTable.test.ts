import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { StatusTable, type BatchRecord } from "../../src/storage/statusTable.js";
import { useAzurite, type RunningAzurite } from "../support/azurite.js";

function newBatch(overrides: Partial<BatchRecord> = {}): BatchRecord {
  const now = new Date().toISOString();
  return {
    batchId: randomUUID(),
    modelId: "prebuilt-read",
    apiVersion: "2024-11-30",
    status: "notStarted",
    createdDateTime: now,
    lastUpdatedDateTime: now,
    source: { kind: "container", url: "http://127.0.0.1/devstoreaccount1/src", prefix: "" },
    resultUrl: "http://127.0.0.1/devstoreaccount1/out",
    resultPrefix: "",
    overwriteExisting: false,
    options: "{}",
    cancelRequested: false,
    deleted: false,
    ...overrides,
  };
}

describe("status table", () => {
  let azurite: RunningAzurite;
  let table: StatusTable;
  before(async () => {
    azurite = await useAzurite();
    table = new StatusTable(createAppStorage({ AzureWebJobsStorage: azurite.connectionString }), { tablePrefix: `st${randomUUID().slice(0, 8)}` });
  });
  after(async () => azurite?.stop());

  test("counts each document exactly once under concurrent and repeated outcomes", async () => {
    const batch = newBatch();
    await table.createBatch(batch);
    await table.createCounters(batch.batchId);
    const documents = 40;
    await table.addDocuments(batch.batchId, 0, Array.from({ length: documents }, (_, i) => `doc-${i}.txt`));
    // Every document is finished three times at once, as duplicate deliveries would.
    await Promise.all(
      Array.from({ length: documents * 3 }, (_, n) => {
        const index = n % documents;
        return table.finishDocument(batch.batchId, index, index % 4 === 0 ? "failed" : "succeeded");
      }),
    );
    assert.deepEqual(await table.readCounts(batch.batchId), { succeeded: 30, failed: 10, skipped: 0, canceled: 0 });
    const listed = [];
    for await (const page of table.listDocuments(batch.batchId, { pageSize: 7 })) listed.push(...page);
    assert.deepEqual(listed.map((d) => d.index), Array.from({ length: documents }, (_, i) => i));
    assert.ok(listed.every((d) => d.status === (d.index % 4 === 0 ? "failed" : "succeeded")));
  });

  test("status only moves forward", async () => {
    const batch = newBatch();
    await table.createBatch(batch);
    await table.updateBatch(batch.modelId, batch.batchId, () => ({ status: "running" }));
    await table.updateBatch(batch.modelId, batch.batchId, () => ({ status: "succeeded" }));
    const after = await table.updateBatch(batch.modelId, batch.batchId, () => ({ status: "running" }));
    assert.equal(after?.status, "succeeded");
    await table.createCounters(batch.batchId);
    await table.addDocuments(batch.batchId, 0, ["only.txt"]);
    await table.finishDocument(batch.batchId, 0, "skipped", { code: "OutputExists", message: "exists" });
    const again = await table.finishDocument(batch.batchId, 0, "succeeded");
    assert.equal(again.status, "skipped");
  });

  test("finished and deleted batches are found for the purge, and their rows go", async () => {
    const old = newBatch({ status: "succeeded", completedDateTime: new Date(Date.now() - 48 * 3_600_000).toISOString() });
    const fresh = newBatch({ status: "succeeded", completedDateTime: new Date().toISOString() });
    const deleted = newBatch({ status: "failed", completedDateTime: new Date().toISOString(), deleted: true });
    for (const batch of [old, fresh, deleted]) await table.createBatch(batch);
    await table.createCounters(old.batchId);
    await table.addDocuments(old.batchId, 0, Array.from({ length: 150 }, (_, i) => `${i}`));
    const found: string[] = [];
    for await (const batch of table.listBatchesToPurge(new Date(Date.now() - 24 * 3_600_000))) found.push(batch.batchId);
    assert.ok(found.includes(old.batchId));
    assert.ok(found.includes(deleted.batchId));
    assert.ok(!found.includes(fresh.batchId));
    assert.equal(await table.deleteDocuments(old.batchId), 150 + 16);
    assert.deepEqual(await table.readCounts(old.batchId), { succeeded: 0, failed: 0, skipped: 0, canceled: 0 });
  });
});
