import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { endpointsFor, freePort } from "../support/azurite.js";
import { createContainer, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** When docbatch's own storage is down, callers get a retryable answer in the API's error format, not a bare 500. */
describe("the app's storage unreachable", () => {
  let docbatch: Docbatch;
  before(async () => {
    const nowhere = endpointsFor("127.0.0.1", { blob: await freePort(), queue: await freePort(), table: await freePort() });
    docbatch = await startDocbatch({ env: { AzureWebJobsStorage: nowhere.connectionString } });
  });
  after(async () => docbatch?.close());

  test("analyzeBatch answers 503 ServiceUnavailable with Retry-After", async () => {
    const source = await createContainer(docbatch.blobService, { "a.txt": "a" });
    const results = await createContainer(docbatch.blobService);
    const response = await fetch(`${docbatch.host.url}/documentintelligence/documentModels/prebuilt-read:analyzeBatch?api-version=2024-11-30`, {
      method: "POST",
      headers: { "content-type": "application/json", "ocp-apim-subscription-key": docbatch.apiKey },
      body: JSON.stringify({
        azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
        resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
      }),
    });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "5");
    const body = await response.json();
    assert.equal(body.error.code, "ServiceUnavailable");
    assert.match(body.error.message, /Retry/);
    assert.doesNotMatch(JSON.stringify(body), /sig=/);
  });
});
