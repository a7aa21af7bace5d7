import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { odata, TableClient, AzureNamedKeyCredential } from "@azure/data-tables";
import { clock } from "../../src/shared/clock.js";
import { createContainer, listBlobNames, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const TABLE_PREFIX = "limitspurge";

describe("document limit, sub-orchestrations and the 24-hour purge", () => {
  let docbatch: Docbatch;
  before(async () => {
    docbatch = await startDocbatch({
      checkOpenApi: true,
      env: {
        DOCBATCH_MAX_DOCUMENTS_PER_BATCH: "5",
        DOCBATCH_DOCUMENTS_PER_SUBORCHESTRATION: "2",
        DOCBATCH_TABLE_PREFIX: TABLE_PREFIX,
      },
    });
  });
  after(async () => {
    clock.reset();
    await docbatch?.close();
  });

  test("a source over the document limit is refused with 400 TooManyDocuments", async () => {
    const source = await createContainer(
      docbatch.blobService,
      Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`over/${i}.txt`, `document ${i}`])),
    );
    const results = await createContainer(docbatch.blobService);
    const response = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", "prebuilt-read").post({
      contentType: "application/json",
      body: { azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") }, resultContainerUrl: await sasUrlFor(results, docbatch.azurite) },
    });
    assert.equal(response.status, "400");
    assert.equal((response.body as any).error.innererror.code, "TooManyDocuments");
    assert.match((response.body as any).error.innererror.message, /5 documents/);
    assert.deepEqual(await listBlobNames(results), []);
  });

  test("a batch at the limit fans out over sub-orchestrations, and the purge removes its status after the retention", async () => {
    const source = await createContainer(
      docbatch.blobService,
      Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`ok/${i}.txt`, `document number ${i}`])),
    );
    const results = await createContainer(docbatch.blobService);
    const { final, operationLocation } = await runBatch(docbatch, "prebuilt-read", {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl"), prefix: "ok/" },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    });
    const operation = final.body as any;
    assert.equal(operation.status, "succeeded");
    assert.equal(operation.result.succeededCount, 5);
    assert.deepEqual(operation.result.details.map((d: any) => decodeURIComponent(d.sourceUrl.split("/").pop())), ["0.txt", "1.txt", "2.txt", "3.txt", "4.txt"]);
    const resultId = new URL(operationLocation).pathname.split("/").pop()!;
    const ranges = ["0+5", "0+2", "2+2", "4+1"];
    for (const range of ranges) assert.ok(docbatch.host.durable.getInstance(`${resultId}:${range}`), `sub-orchestration ${range}`);

    // Within the retention the purge keeps it.
    clock.advance(23 * 3_600_000);
    await docbatch.host.fireTimer("purgeExpiredBatches");
    const route = docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", "prebuilt-read", resultId);
    assert.equal((await route.get()).status, "200");

    clock.advance(2 * 3_600_000);
    await docbatch.host.fireTimer("purgeExpiredBatches");
    const gone = await route.get();
    assert.equal(gone.status, "404");
    assert.equal((gone.body as any).error.code, "NotFound");
    assert.equal(docbatch.host.durable.getInstance(resultId), undefined);
    for (const range of ranges) assert.equal(docbatch.host.durable.getInstance(`${resultId}:${range}`), undefined);

    const documents = new TableClient(docbatch.azurite.tableEndpoint, `${TABLE_PREFIX}Documents`, new AzureNamedKeyCredential(docbatch.azurite.accountName, docbatch.azurite.accountKey), { allowInsecureConnection: true });
    let rows = 0;
    for await (const _ of documents.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${resultId}` } })) rows++;
    assert.equal(rows, 0, "document rows and counters are purged");
    assert.equal((await listBlobNames(results)).length, 5, "results in the caller's container are never touched");
  });
});
