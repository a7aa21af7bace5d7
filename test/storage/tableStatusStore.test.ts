import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { newBatchId } from "../../src/engine/batchIds.js";
import type { BatchRecord } from "../../src/engine/model.js";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { TableStatusStore } from "../../src/storage/tableStatusStore.js";
import { useAzurite, type RunningAzurite } from "../support/azurite.js";
import { statusStoreContract } from "../engine/statusStoreContract.js";

const KIND = "documentIntelligence";

function newBatch(overrides: Partial<BatchRecord> = {}): BatchRecord {
  const now = new Date().toISOString();
  return {
    kind: KIND,
    batchId: newBatchId(),
    status: "notStarted",
    createdAt: now,
    updatedAt: now,
    cancelRequested: false,
    deleted: false,
    spec: "{}",
    labels: { modelId: "prebuilt-read" },
    ...overrides,
  };
}

describe("table status store", () => {
  let azurite: RunningAzurite;
  let store: TableStatusStore;
  const tablePrefix = `st${randomUUID().slice(0, 8)}`;
  before(async () => {
    azurite = await useAzurite();
    store = new TableStatusStore(createAppStorage({ AzureWebJobsStorage: azurite.connectionString }), { tablePrefix });
  });
  after(async () => azurite?.stop());

  test("counts each document exactly once under concurrent and repeated outcomes", async () => {
    const batch = newBatch();
    await store.createBatch(batch);
    const documents = 40;
    await store.addItems(batch.batchId, 0, Array.from({ length: documents }, (_, i) => ({ name: `doc-${i}.txt` })));
    // Every document is finished three times at once, as duplicate deliveries would.
    await Promise.all(
      Array.from({ length: documents * 3 }, (_, n) => {
        const index = n % documents;
        return store.finishItem(batch.batchId, index, index % 4 === 0 ? "failed" : "succeeded");
      }),
    );
    assert.deepEqual((await store.readCounts(batch.batchId)).counts, { succeeded: 30, failed: 10, skipped: 0, canceled: 0 });
    const listed = [];
    for await (const page of store.listItems(batch.batchId, { pageSize: 7 })) listed.push(...page);
    assert.deepEqual(listed.map((d) => d.index), Array.from({ length: documents }, (_, i) => i));
    assert.ok(listed.every((d) => d.status === (d.index % 4 === 0 ? "failed" : "succeeded")));
  });

  test("status only moves forward", async () => {
    const batch = newBatch();
    await store.createBatch(batch);
    await store.updateBatch(KIND, batch.batchId, () => ({ status: "processing" }));
    await store.updateBatch(KIND, batch.batchId, () => ({ status: "succeeded" }));
    const after = await store.updateBatch(KIND, batch.batchId, () => ({ status: "processing" }));
    assert.equal(after?.status, "succeeded");
    await store.addItems(batch.batchId, 0, [{ name: "only.txt" }]);
    await store.finishItem(batch.batchId, 0, "skipped", { error: { code: "OutputExists", message: "exists" } });
    const again = await store.finishItem(batch.batchId, 0, "succeeded");
    assert.equal(again.status, "skipped");
  });

  test("finished and deleted batches are found for the purge, and their rows go", async () => {
    const old = newBatch({ status: "succeeded", completedAt: new Date(Date.now() - 48 * 3_600_000).toISOString() });
    const fresh = newBatch({ status: "succeeded", completedAt: new Date().toISOString() });
    const deleted = newBatch({ status: "failed", completedAt: new Date().toISOString(), deleted: true });
    for (const batch of [old, fresh, deleted]) await store.createBatch(batch);
    await store.addItems(old.batchId, 0, Array.from({ length: 150 }, (_, i) => ({ name: `${i}` })));
    const found: string[] = [];
    for await (const batch of store.listBatchesToPurge(new Date(Date.now() - 24 * 3_600_000))) found.push(batch.batchId);
    assert.ok(found.includes(old.batchId));
    assert.ok(found.includes(deleted.batchId));
    assert.ok(!found.includes(fresh.batchId));
    assert.equal(await store.deleteItems(old.batchId), 150 + 16);
    assert.deepEqual((await store.readCounts(old.batchId)).counts, { succeeded: 0, failed: 0, skipped: 0, canceled: 0 });
  });
});

statusStoreContract("table status store", async () => {
  const azurite = await useAzurite();
  const store = new TableStatusStore(createAppStorage({ AzureWebJobsStorage: azurite.connectionString }), { tablePrefix: `sc${randomUUID().slice(0, 8)}` });
  return { store, close: () => azurite.stop() };
});
