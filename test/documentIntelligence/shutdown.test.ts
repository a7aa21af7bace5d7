import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AzureNamedKeyCredential, odata, TableClient } from "@azure/data-tables";
import { isUnexpected } from "@azure-rest/ai-document-intelligence";
import { makeScannedPdf, SAMPLE_LINES } from "../support/documents.js";
import { createContainer, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const TABLE_PREFIX = "shutdown";

/**
 * Issue 10 item 6: when the host shuts an instance down (SIGTERM on scale-in runs the appTerminate
 * hook), documents in flight must not be recorded as failed ("OCR pool is closed"): their
 * activities give them back, and Durable delivers them again on another instance.
 */
describe("host shutdown with documents in flight", () => {
  let docbatch: Docbatch;
  before(async () => {
    // One OCR worker and multi-page scans: documents are still being read when the host stops.
    docbatch = await startDocbatch({ checkOpenApi: true, env: { DOCBATCH_TABLE_PREFIX: TABLE_PREFIX, DOCBATCH_OCR_WORKERS: "1" } });
  });
  after(async () => docbatch?.close());

  test("no document in flight is failed; they stay unsettled for redelivery", async () => {
    const scan = await makeScannedPdf([SAMPLE_LINES, SAMPLE_LINES, SAMPLE_LINES]);
    const source = await createContainer(docbatch.blobService, Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`scan-${i}.pdf`, scan.bytes])));
    const results = await createContainer(docbatch.blobService);
    const initial = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", "prebuilt-read").post({
      contentType: "application/json",
      body: { azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") }, resultContainerUrl: await sasUrlFor(results, docbatch.azurite) },
    });
    if (isUnexpected(initial)) throw new Error(`analyzeBatch answered ${initial.status}`);
    const batchId = new URL(initial.headers["operation-location"]).pathname.split("/").pop()!;
    // Prepare, then every document's activity, has started.
    while (docbatch.host.durable.stats().activitiesExecuted < 5) await new Promise((resolve) => setTimeout(resolve, 20));

    await docbatch.host.close();
    // Writes a wrong implementation would still make after the hook (failing the documents)
    // land within this; a right one has nothing left to write.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const documents = new TableClient(docbatch.azurite.tableEndpoint, `${TABLE_PREFIX}Documents`, new AzureNamedKeyCredential(docbatch.azurite.accountName, docbatch.azurite.accountKey), {
      allowInsecureConnection: true,
    });
    const rows: { rowKey: string; status?: string; failed?: number; errorJson?: string }[] = [];
    for await (const row of documents.listEntities<{ status?: string; failed?: number; errorJson?: string }>({ queryOptions: { filter: odata`PartitionKey eq ${batchId}` } })) rows.push({ ...row, rowKey: row.rowKey! });
    const items = rows.filter((row) => row.rowKey.startsWith("d"));
    assert.equal(items.length, 4);
    assert.deepEqual(items.filter((row) => row.status === "failed").map((row) => row.errorJson), [], "no document failed for the shutdown");
    assert.ok(items.some((row) => row.status === "notStarted"), "some document was interrupted (else the test proves nothing)");
    assert.equal(rows.filter((row) => row.rowKey.startsWith("c")).reduce((sum, shard) => sum + (shard.failed ?? 0), 0), 0);
  });
});
