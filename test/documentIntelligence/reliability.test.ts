import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { createContainer, listBlobNames, readJsonBlob, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const MODEL = "prebuilt-read";
const indexIs = (predicate: (index: number) => boolean) => (input: unknown) => predicate((input as { index: number }).index);

/** At-least-once delivery made to happen: every injected fault leaves one result per document and exact counts. */
describe("reliability under injected activity faults", () => {
  let docbatch: Docbatch;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
  });
  afterEach(() => docbatch.host.faults.clear());
  after(async () => docbatch?.close());

  async function batchOf(count: number, overwriteExisting = false) {
    const names = Array.from({ length: count }, (_, i) => `doc-${i}.txt`);
    const source = await createContainer(docbatch.blobService, Object.fromEntries(names.map((n) => [n, `text of ${n}`])));
    const results = await createContainer(docbatch.blobService);
    const body = {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
      overwriteExisting,
    };
    return { names, results, body };
  }

  async function assertExactlyOnce(count: number, results: Awaited<ReturnType<typeof batchOf>>["results"], operation: any) {
    assert.equal(operation.status, "succeeded");
    assert.equal(operation.result.succeededCount, count);
    assert.equal(operation.result.failedCount, 0);
    assert.equal(operation.result.skippedCount, 0);
    assert.equal(operation.result.details.length, count);
    assert.ok(operation.result.details.every((d: any) => d.status === "succeeded"));
    const names = await listBlobNames(results);
    assert.equal(names.length, count);
    for (const name of names) assert.equal((await readJsonBlob(results, name)).status, "succeeded");
  }

  test("an activity failing twice is retried and the document succeeds once", async () => {
    const { results, body } = await batchOf(4);
    const fault = docbatch.host.faults.failActivity("processItems", { times: 2, when: indexIs((i) => i === 1), message: "injected outage" });
    const operation = (await runBatch(docbatch, MODEL, body)).final.body as any;
    assert.equal(fault.triggered, 2);
    await assertExactlyOnce(4, results, operation);
  });

  test("duplicate execution of every document keeps one result and exact counts", async () => {
    const { results, body } = await batchOf(5);
    const fault = docbatch.host.faults.duplicateActivity("processItems", { times: Infinity });
    const operation = (await runBatch(docbatch, MODEL, body)).final.body as any;
    assert.equal(fault.triggered, 5);
    await assertExactlyOnce(5, results, operation);
  });

  test("a crash after the result was written but before it was recorded is redelivered without a skip", async () => {
    const { results, body } = await batchOf(3);
    const fault = docbatch.host.faults.crashAfterActivity("processItems", { times: 3 });
    const operation = (await runBatch(docbatch, MODEL, body)).final.body as any;
    assert.equal(fault.triggered, 3);
    await assertExactlyOnce(3, results, operation);
  });

  test("in a batch big enough to analyze documents in groups, duplicated, failing and crashing group activities count every document once", async () => {
    const { results, body } = await batchOf(120);
    // 120 documents go 10 to an activity: 12 activities; the one from document 50 fails twice,
    // the one from 100 crashes twice after its side effects, then every delivery runs twice.
    const failing = docbatch.host.faults.failActivity("processItems", { times: 2, when: indexIs((i) => i === 50), message: "injected outage" });
    const crashing = docbatch.host.faults.crashAfterActivity("processItems", { times: 2, when: indexIs((i) => i === 100) });
    const duplicated = docbatch.host.faults.duplicateActivity("processItems", { times: Infinity });
    const operation = (await runBatch(docbatch, MODEL, body)).final.body as any;
    assert.equal(failing.triggered, 2);
    assert.equal(crashing.triggered, 2);
    assert.ok(duplicated.triggered >= 12 && duplicated.triggered < 120, `documents went in groups (${duplicated.triggered} activities duplicated)`);
    await assertExactlyOnce(120, results, operation);
  });

  test("a failing and duplicated listing still lists every document once", async () => {
    const { results, body } = await batchOf(3);
    docbatch.host.faults.failActivity("prepareBatchItems", { times: 1 });
    docbatch.host.faults.duplicateActivity("prepareBatchItems", { times: 1 });
    const operation = (await runBatch(docbatch, MODEL, body)).final.body as any;
    await assertExactlyOnce(3, results, operation);
  });

  test("DELETE of a running batch cancels documents not started; finished ones keep their results", async () => {
    const { results, body } = await batchOf(8);
    // Documents 3..7 fail their first delivery, so they wait for their retry while we cancel.
    docbatch.host.faults.failActivity("processItems", { times: 5, when: indexIs((i) => i >= 3) });
    const initial = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", MODEL).post({ contentType: "application/json", body });
    const location = initial.headers["operation-location"];
    const headers = { "ocp-apim-subscription-key": docbatch.apiKey };
    let status: any;
    do {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await (await fetch(location, { headers })).json();
    } while ((status.result?.succeededCount ?? 0) < 3);
    assert.equal(status.status, "running");
    assert.ok(status.percentCompleted > 0 && status.percentCompleted < 100);

    const deleted = await fetch(location, { method: "DELETE", headers });
    assert.equal(deleted.status, 204);
    let final: any;
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      final = await (await fetch(location, { headers })).json();
    } while (final.result.details.some((d: any) => d.status === "notStarted" || d.status === "running"));
    assert.equal(final.status, "canceled");
    assert.equal(final.result.succeededCount, 3);
    assert.deepEqual(
      final.result.details.map((d: any) => d.status),
      ["succeeded", "succeeded", "succeeded", "canceled", "canceled", "canceled", "canceled", "canceled"],
    );
    assert.equal((await listBlobNames(results)).length, 3);
  });
});
