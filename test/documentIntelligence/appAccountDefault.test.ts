import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createContainer, submitBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** The default allow-list is empty: the app's own account is reached only with a SAS. */
describe("the app's own storage account, default settings", () => {
  let defaults: Docbatch;
  before(async () => {
    defaults = await startDocbatch({ checkOpenApi: true, env: { DOCBATCH_ALLOWED_STORAGE_ACCOUNTS: "" } });
  });
  after(async () => defaults?.close());
  test("by default no container is reached without a SAS, not even the app's own", async () => {
    const source = await createContainer(defaults.blobService, { "a.txt": "own account text" });
    const results = await createContainer(defaults.blobService);
    const response = await submitBatch(defaults, { azureBlobSource: { containerUrl: source.url }, resultContainerUrl: results.url });
    assert.equal(response.status, "400", JSON.stringify(response.body));
    assert.equal(response.body.error.innererror.code, "StorageAccountNotAllowed");
    assert.match(response.body.error.innererror.message, /DOCBATCH_ALLOWED_STORAGE_ACCOUNTS/);
    const withSas = await submitBatch(defaults, {
      azureBlobSource: { containerUrl: await sasUrlFor(source, defaults.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, defaults.azurite),
    });
    assert.equal(withSas.status, "202", JSON.stringify(withSas.body));
  });

});
