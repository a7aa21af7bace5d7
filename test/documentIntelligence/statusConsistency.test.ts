import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { handleDocumentIntelligence } from "../../src/api/documentIntelligence/api.js";
import type { BatchRunner } from "../../src/engine/batches.js";
import { newBatchId } from "../../src/engine/batchIds.js";
import { InMemoryStatusStore } from "../../src/engine/inMemoryStatusStore.js";
import type { BatchRecord, ItemStatus } from "../../src/engine/model.js";
import { SettledItemBlocks } from "../../src/engine/settledItemBlocks.js";
import type { DocumentIntelligenceSpec } from "../../src/kinds/documentIntelligence/spec.js";
import type { AppServices } from "../../src/services/appServices.js";

const API_KEY = "status-test-key";
const DOCUMENTS = 300;
const BLOCK = 100;

/**
 * A store whose documents go on settling while a poll reads them: the moment the poll asks for
 * a block of detail rows, `settleDuringRead` more documents succeed (each with its count, in
 * one change, as the real stores do), so the rows read later are ahead of the counts read first.
 */
class SettlingStore extends InMemoryStatusStore {
  settleDuringRead = 0;
  private next = 0;

  async settle(batchId: string, count: number): Promise<void> {
    for (let i = 0; i < count && this.next < DOCUMENTS; i++) await this.finishItem(batchId, this.next++, "succeeded");
  }

  override async *listItemRange(batchId: string, first: number, count: number) {
    await this.settle(batchId, this.settleDuringRead);
    yield* super.listItemRange(batchId, first, count);
  }
}

async function runningBatch(store: SettlingStore): Promise<BatchRecord> {
  const spec: DocumentIntelligenceSpec = {
    modelId: "prebuilt-read",
    apiVersion: "2024-11-30",
    source: { kind: "container", url: "https://src.blob.core.windows.net/in", prefix: "" },
    resultUrl: "https://dst.blob.core.windows.net/out",
    resultPrefix: "",
    overwriteExisting: false,
    options: {} as DocumentIntelligenceSpec["options"],
  };
  const now = new Date().toISOString();
  const batch: BatchRecord = {
    kind: "documentIntelligence",
    batchId: newBatchId(),
    status: "processing",
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    itemCount: DOCUMENTS,
    cancelRequested: false,
    deleted: false,
    labels: { modelId: "prebuilt-read" },
    spec: JSON.stringify(spec),
  } as BatchRecord;
  await store.createBatch(batch);
  await store.addItems(batch.batchId, 0, Array.from({ length: DOCUMENTS }, (_, i) => ({ name: `doc-${i}.txt` })));
  return batch;
}

async function poll(store: SettlingStore, batchId: string): Promise<any> {
  const services = { settings: { apiKeys: [API_KEY] }, store, pollItems: new SettledItemBlocks(store, { blockSize: BLOCK }) } as unknown as AppServices;
  const response = await handleDocumentIntelligence(
    {
      method: "GET",
      url: `http://docbatch.test/documentintelligence/documentModels/prebuilt-read/analyzeBatchResults/${batchId}?api-version=2024-11-30`,
      headers: new Headers({ "ocp-apim-subscription-key": API_KEY }),
      body: null,
    },
    `documentModels/prebuilt-read/analyzeBatchResults/${batchId}`,
    { services: () => services, runner: {} as BatchRunner },
  );
  assert.equal(response.status, 200);
  const chunks: Buffer[] = [];
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function detailCounts(answer: any): Record<ItemStatus, number> {
  const counts = { notStarted: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, canceled: 0 } as Record<ItemStatus, number>;
  for (const detail of answer.result.details) counts[detail.status as ItemStatus]++;
  return counts;
}

describe("a DI status answer never contradicts itself while documents settle", () => {
  test("documents settling between the reads: the counts are never behind the details", async () => {
    const store = new SettlingStore();
    const batch = await runningBatch(store);
    await store.settle(batch.batchId, 90);
    store.settleDuringRead = 25;

    const answer = await poll(store, batch.batchId);
    const shown = detailCounts(answer);
    // 90 settled before the poll, 25 more as each block was read: documents 0-114 when block
    // 0-99 was read, 0-139 for block 100-199; 0-164 had settled by the end.
    assert.equal(shown.succeeded, 140, "the details saw what settled while they were read");
    assert.equal(answer.result.details.length, DOCUMENTS);
    assert.ok(answer.result.succeededCount >= shown.succeeded, `succeededCount ${answer.result.succeededCount} behind ${shown.succeeded} succeeded details`);
    assert.equal(answer.result.failedCount, shown.failed);
    assert.equal(answer.result.skippedCount, shown.skipped);
    assert.equal(answer.percentCompleted, Math.floor((answer.result.succeededCount * 100) / DOCUMENTS));
    assert.equal(answer.status, "running");
  });

  test("with nothing settling meanwhile the answer is exact, and every member is there once", async () => {
    const store = new SettlingStore();
    const batch = await runningBatch(store);
    await store.settle(batch.batchId, 150);
    const answer = await poll(store, batch.batchId);
    assert.deepEqual(
      Object.keys(answer).sort(),
      ["createdDateTime", "lastUpdatedDateTime", "percentCompleted", "result", "resultId", "status"],
    );
    assert.deepEqual(Object.keys(answer.result).sort(), ["details", "failedCount", "skippedCount", "succeededCount"]);
    assert.equal(answer.result.succeededCount, 150);
    assert.equal(detailCounts(answer).succeeded, 150);
    assert.equal(answer.percentCompleted, 50);
  });
});
