import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FakeServiceError, startFakeDocumentIntelligence, type FakeDocumentIntelligence } from "../support/fakeDocumentIntelligence.js";
import { createContainer, readJsonBlob, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** Models docbatch does not run itself go to Document Intelligence (here its local fake), one call per document. */
describe("batches through the Document Intelligence passthrough", () => {
  let fake: FakeDocumentIntelligence;
  let docbatch: Docbatch;
  before(async () => {
    fake = await startFakeDocumentIntelligence({
      models: ["contracts-v2"],
      analyze: ({ modelId, bytes }) => {
        const text = Buffer.from(bytes).toString("utf8");
        if (text.includes("unreadable")) throw new FakeServiceError("InvalidRequest", "Invalid request.", { code: "InvalidContent", message: "The file is corrupted or format is unsupported." });
        return { apiVersion: "2024-11-30", modelId, stringIndexType: "textElements", content: text, pages: [{ pageNumber: 1, spans: [{ offset: 0, length: text.length }] }], documents: [{ docType: modelId }] };
      },
    });
    docbatch = await startDocbatch({
      checkOpenApi: true,
      env: {
        DOCUMENT_INTELLIGENCE_ENDPOINT: fake.endpoint,
        DOCUMENT_INTELLIGENCE_KEY: fake.key,
        DOCUMENT_INTELLIGENCE_REQUESTS_PER_SECOND: "50",
        DOCBATCH_MAX_DOCUMENT_BYTES: "1000",
      },
    });
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });

  test("prebuilt-invoice documents are analyzed by the service, through throttling, and stored as returned", async () => {
    const source = await createContainer(docbatch.blobService, {
      "inv/1.txt": "Invoice 1 total 10",
      "inv/2.txt": "Invoice 2 total 20",
      "inv/3.txt": "Invoice 3 total 30",
    });
    const results = await createContainer(docbatch.blobService);
    // docbatch checks the model once (and remembers it); throttle the analyze calls that follow.
    const model = await fetch(`${docbatch.host.url}/documentintelligence/documentModels/prebuilt-invoice?api-version=2024-11-30`, { headers: { "api-key": docbatch.apiKey } });
    assert.equal(model.status, 200);
    fake.setThrottle(3, 1);
    const operation = (await runBatch(docbatch, "prebuilt-invoice", {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    }, { locale: "en-US" })).final.body as any;
    assert.equal(operation.status, "succeeded");
    assert.equal(operation.result.succeededCount, 3);
    const stored = await readJsonBlob(results, "inv/2.txt.ocr.json");
    assert.equal(stored.analyzeResult.modelId, "prebuilt-invoice");
    assert.deepEqual(stored.analyzeResult.documents, [{ docType: "prebuilt-invoice" }]);
    assert.equal(stored.analyzeResult.content, "Invoice 2 total 20");
    const analyzeCalls = fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("prebuilt-invoice:analyze"));
    assert.ok(analyzeCalls.some((r) => r.status === 429), "the fake throttled some calls");
    assert.equal(analyzeCalls.filter((r) => r.status === 202).length, 3, "one accepted analyze call per document");
    assert.ok(analyzeCalls.every((r) => r.query.locale === "en-US"));
  });

  test("custom models are found at the service; unknown ones are 404 ModelNotFound", async () => {
    const source = await createContainer(docbatch.blobService, { "c.txt": "contract text", "bad.txt": "unreadable scan" });
    const results = await createContainer(docbatch.blobService);
    const operation = (await runBatch(docbatch, "contracts-v2", {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    })).final.body as any;
    assert.equal(operation.status, "succeeded");
    assert.equal(operation.result.succeededCount, 1);
    assert.equal(operation.result.failedCount, 1);
    const failed = operation.result.details.find((d: any) => d.status === "failed");
    assert.ok(failed.sourceUrl.endsWith("/bad.txt"));
    assert.equal(failed.error.code, "InvalidRequest");
    assert.equal(failed.error.innererror.code, "InvalidContent");

    const unknown = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", "contracts-v9").post({
      contentType: "application/json",
      body: { azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") }, resultContainerUrl: await sasUrlFor(results, docbatch.azurite) },
    });
    assert.equal(unknown.status, "404");
    assert.equal((unknown.body as any).error.innererror.code, "ModelNotFound");
  });

  test("prebuilt-read still runs offline, and a document over the size limit fails with ContentTooLarge", async () => {
    const before = fake.requests.length;
    const source = await createContainer(docbatch.blobService, { "small.txt": "small enough", "large.txt": "x".repeat(2000) });
    const results = await createContainer(docbatch.blobService);
    const operation = (await runBatch(docbatch, "prebuilt-read", {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    })).final.body as any;
    assert.equal(operation.result.succeededCount, 1);
    const large = operation.result.details.find((d: any) => d.sourceUrl.endsWith("/large.txt"));
    assert.equal(large.status, "failed");
    assert.equal(large.error.innererror.code, "ContentTooLarge");
    assert.match(large.error.innererror.message, /1000 bytes/);
    assert.equal(fake.requests.length, before, "no request reached the service");
  });
});
