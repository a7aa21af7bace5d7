import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isUnexpected } from "@azure-rest/ai-document-intelligence";
import { createContainer, listBlobNames, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/**
 * Issue 10 item 5: a result container that cannot be written is refused before the batch starts
 * (400 naming `resultContainerUrl`), and a write that fails later names the result container,
 * not the source.
 */
describe("the result container is checked before the batch starts", () => {
  let docbatch: Docbatch;
  let sourceSas: string;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
    sourceSas = await sasUrlFor(await createContainer(docbatch.blobService, { "a.txt": "alpha", "b.txt": "beta" }), docbatch.azurite, "rl");
  });
  after(async () => docbatch?.close());

  async function start(resultContainerUrl: string) {
    return docbatch.client.path("/documentModels/{modelId}:analyzeBatch", "prebuilt-read").post({
      contentType: "application/json",
      body: { azureBlobSource: { containerUrl: sourceSas }, resultContainerUrl },
    });
  }

  async function batchCount(): Promise<number> {
    const listed = await docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults", "prebuilt-read").get();
    if (isUnexpected(listed)) throw new Error(`list answered ${listed.status}`);
    return listed.body.value.length;
  }

  test("a result container that does not exist is 400 ContainerNotFound on resultContainerUrl", async () => {
    const before = await batchCount();
    const never = docbatch.blobService.getContainerClient("never-created-results");
    const response = await start(await sasUrlFor(never, docbatch.azurite));
    assert.equal(response.status, "400");
    const error = (response.body as any).error;
    assert.equal(error.target, "resultContainerUrl");
    assert.equal(error.innererror.code, "ContainerNotFound");
    assert.match(error.innererror.message, /never-created-results.*does not exist.*Create it/);
    assert.doesNotMatch(JSON.stringify(error), /sig=/);
    assert.equal(await batchCount(), before, "no batch was started");
  });

  for (const [permissions, why] of [
    ["rl", "a SAS for read and list only"],
    ["rwlc-expired", "an expired SAS"],
  ] as const) {
    test(`a result container URL with ${why} is 400 InvalidSasToken on resultContainerUrl`, async () => {
      const results = await createContainer(docbatch.blobService);
      const url = permissions === "rl" ? await sasUrlFor(results, docbatch.azurite, "rl") : await sasUrlFor(results, docbatch.azurite, "rwlc", -60_000);
      const response = await start(url);
      assert.equal(response.status, "400");
      const error = (response.body as any).error;
      assert.equal(error.target, "resultContainerUrl");
      assert.equal(error.innererror.code, "InvalidSasToken");
      assert.match(error.innererror.message, /may not write results.*write \(w\)/);
      assert.deepEqual(await listBlobNames(results), [], "the check wrote nothing");
    });
  }

  test("a writable result container passes the check and the probe leaves nothing behind", async () => {
    const results = await createContainer(docbatch.blobService);
    const { final } = await runBatch(docbatch, "prebuilt-read", { azureBlobSource: { containerUrl: sourceSas }, resultContainerUrl: await sasUrlFor(results, docbatch.azurite, "wc") });
    assert.equal((final.body as any).status, "succeeded");
    assert.deepEqual(await listBlobNames(results), ["a.txt.ocr.json", "b.txt.ocr.json"]);
  });

  test("a result write that fails later names the result container, not the source", async () => {
    // Create-only: new results can be written (the check passes), replacing one cannot.
    const results = await createContainer(docbatch.blobService, { "a.txt.ocr.json": "{}" });
    const { final } = await runBatch(docbatch, "prebuilt-read", {
      azureBlobSource: { containerUrl: sourceSas },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite, "c"),
      overwriteExisting: true,
    });
    const details = (final.body as any).result.details as any[];
    const failed = details.find((d) => d.sourceUrl.endsWith("/a.txt"));
    assert.equal(failed.status, "failed");
    assert.equal(failed.error.target, "resultContainerUrl");
    assert.equal(failed.error.innererror.code, "InvalidSasToken");
    assert.match(failed.error.innererror.message, /result 'a\.txt\.ocr\.json' into the result container was denied/);
    assert.equal(details.find((d) => d.sourceUrl.endsWith("/b.txt")).status, "succeeded");
  });
});
