import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { createContainer, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { holdingAnalyze, startFakeDocumentIntelligence, type FakeDocumentIntelligence } from "../support/fakeDocumentIntelligence.js";

const DOCUMENTS = 60;

/**
 * The dashboard once showed a canceled batch as "Canceled 0" with 71 of 300 documents settled:
 * the table store dropped `startedAt`, so a cancel took the running batch for one never started
 * and made it final at once, before its items were settled. A cancel must leave the batch
 * running until every item is settled, the ones not started becoming `canceled` and counted.
 */
describe("cancel counts (dashboard API over the table store)", () => {
  let fake: FakeDocumentIntelligence;
  let docbatch: Docbatch;
  const held = holdingAnalyze();

  before(async () => {
    fake = await startFakeDocumentIntelligence({ analyze: held.analyze });
    docbatch = await startDocbatch({
      checkOpenApi: true,
      maxConcurrentActivities: 1,
      env: { DOCUMENT_INTELLIGENCE_ENDPOINT: fake.endpoint, DOCUMENT_INTELLIGENCE_KEY: fake.key },
    });
  });
  after(async () => {
    held.releaseAll();
    await docbatch?.close();
    await fake?.close();
  });

  const dashboard = async (path: string, method = "GET") => {
    const response = await fetch(`${docbatch.host.url}/dashboard/api/${path}`, { method, headers: { "api-key": docbatch.apiKey } });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as { status: string; cancelRequested: boolean; itemCount: number | null; counts: Record<"succeeded" | "failed" | "skipped" | "canceled", number> };
  };

  test("a canceled running batch stays running until its items settle; those not started are counted as canceled", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < DOCUMENTS; i++) files[`docs/${String(i).padStart(3, "0")}.txt`] = `invoice ${i}`;
    const source = await createContainer(docbatch.blobService, files);
    const results = await createContainer(docbatch.blobService);
    const started = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", "prebuilt-invoice").post({
      contentType: "application/json",
      body: { azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") }, resultContainerUrl: await sasUrlFor(results, docbatch.azurite) },
    });
    assert.equal(started.status, "202");
    const batchId = new URL(started.headers["operation-location"]).pathname.split("/").pop()!;
    const path = `batches/documentIntelligence/${batchId}`;
    await held.someWaiting();

    const canceling = await dashboard(`${path}/cancel`, "POST");
    assert.equal(canceling.cancelRequested, true);
    assert.equal(canceling.status, "processing", "not final while documents are in flight or not started");
    const meanwhile = await dashboard(path);
    assert.equal(meanwhile.status, "processing");

    held.releaseAll();
    let final = meanwhile;
    while (final.status !== "canceled") {
      await sleep(100);
      final = await dashboard(path);
    }
    const { succeeded, failed, skipped, canceled } = final.counts;
    assert.equal(final.itemCount, DOCUMENTS);
    assert.equal(succeeded + failed + skipped + canceled, DOCUMENTS, `every item is settled when the batch is canceled: ${JSON.stringify(final.counts)}`);
    assert.ok(succeeded >= 1, "the documents in flight finished");
    assert.ok(canceled >= 1 && canceled === DOCUMENTS - succeeded, `the rest were canceled and counted: ${JSON.stringify(final.counts)}`);

    // The DI front door says the same.
    const operation = await docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", "prebuilt-invoice", batchId).get();
    const body = operation.body as { status: string; result: { details: { status: string }[] } };
    assert.equal(body.status, "canceled");
    assert.equal(body.result.details.filter((detail) => detail.status === "canceled").length, canceled);
  });
});
