import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createContainer, submitBatch, listBlobNames, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** The host's keys, deployment and task hub live in the app's own account: no batch reaches them, whatever the allow-list. */
describe("the app's own storage account, allow-listed as npm run local does", () => {
  let local: Docbatch;
  before(async () => {
    local = await startDocbatch({ checkOpenApi: true });
  });
  after(async () => local?.close());

  test("host keys, host locks and task hub containers are refused as source and as result, with or without a SAS", async () => {
    const secrets = local.blobService.getContainerClient("azure-webjobs-secrets");
    await secrets.createIfNotExists();
    await secrets.getBlockBlobClient("docbatch/host.json").upload('{"masterKey":"secret"}', 22);
    const hosts = local.blobService.getContainerClient("azure-webjobs-hosts");
    await hosts.createIfNotExists();
    const leases = local.blobService.getContainerClient("docbatchtest-leases");
    await leases.createIfNotExists();
    const mine = await createContainer(local.blobService, { "a.txt": "text" });
    for (const internal of [secrets, hosts, leases]) {
      for (const url of [internal.url, await sasUrlFor(internal, local.azurite)]) {
        const asSource = await submitBatch(local, { azureBlobSource: { containerUrl: url }, resultContainerUrl: mine.url });
        assert.equal(asSource.status, "400", `${internal.containerName}: ${JSON.stringify(asSource.body)}`);
        assert.equal(asSource.body.error.innererror.code, "ForbiddenContainer");
        assert.equal(asSource.body.error.target, "azureBlobSource.containerUrl");
        const asResult = await submitBatch(local, { azureBlobSource: { containerUrl: mine.url }, resultContainerUrl: url });
        assert.equal(asResult.status, "400", JSON.stringify(asResult.body));
        assert.equal(asResult.body.error.innererror.code, "ForbiddenContainer");
        assert.equal(asResult.body.error.target, "resultContainerUrl");
      }
    }
    assert.deepEqual(await listBlobNames(secrets), ["docbatch/host.json"]);
  });
});
