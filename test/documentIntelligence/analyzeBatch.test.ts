import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getLongRunningPoller, isUnexpected, paginate } from "@azure-rest/ai-document-intelligence";
import { createContainer, listBlobNames, readJsonBlob, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const MODEL = "prebuilt-read";
const API_VERSION = "2024-11-30";

function assertNoSas(value: unknown): void {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  assert.doesNotMatch(text, /sig=|sv=\d/, "a response carried a SAS token");
}

describe("Document Intelligence batch analysis through the official client", () => {
  let docbatch: Docbatch;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
  });
  after(async () => docbatch?.close());

  test("analyzes nested folders under a prefix, names with spaces, unicode and '#', and writes .ocr.json results", async () => {
    const source = await createContainer(docbatch.blobService, {
      "inbox/a.txt": "Alpha document\n\nSecond paragraph",
      "inbox/deep/nested/b c.txt": "Bravo with spaces",
      "inbox/ünïcødé/č#1.md": "# Heading\n\nCharlie unicode",
      "outside/ignored.txt": "not under the prefix",
    });
    const results = await createContainer(docbatch.blobService);
    const { final, operationLocation } = await runBatch(docbatch, MODEL, {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl"), prefix: "inbox/" },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite, "rwlc"),
      resultPrefix: "out/",
    });
    assert.match(operationLocation, /^http:\/\/127\.0\.0\.1:\d+\/documentintelligence\/documentModels\/prebuilt-read\/analyzeBatchResults\/[0-9a-f-]{36}\?api-version=2024-11-30$/);
    assert.equal(final.status, "200");
    const operation = final.body as any;
    assert.equal(operation.status, "succeeded");
    assert.equal(operation.percentCompleted, 100);
    assert.deepEqual(
      { succeeded: operation.result.succeededCount, failed: operation.result.failedCount, skipped: operation.result.skippedCount },
      { succeeded: 3, failed: 0, skipped: 0 },
    );
    assertNoSas(operation);
    assert.deepEqual(await listBlobNames(results), [
      "out/a.txt.ocr.json",
      "out/deep/nested/b c.txt.ocr.json",
      "out/ünïcødé/č#1.md.ocr.json",
    ]);
    for (const detail of operation.result.details) {
      assert.equal(detail.status, "succeeded");
      const name = decodeURIComponent(new URL(detail.resultUrl).pathname.split(`/${results.containerName}/`)[1]);
      assert.ok(name.startsWith("out/") && name.endsWith(".ocr.json"), name);
      assert.ok(detail.sourceUrl.startsWith(source.url), detail.sourceUrl);
    }
    const alpha = await readJsonBlob(results, "out/a.txt.ocr.json");
    assert.equal(alpha.status, "succeeded");
    assert.ok(Date.parse(alpha.createdDateTime) && Date.parse(alpha.lastUpdatedDateTime));
    assert.equal(alpha.analyzeResult.modelId, MODEL);
    assert.match(alpha.analyzeResult.content, /Alpha document/);
    assert.ok(alpha.analyzeResult.pages.length >= 1);
  });

  test("a file list with a missing file fails that document only", async () => {
    const source = await createContainer(docbatch.blobService, {
      "docs/one.txt": "first listed document",
      "docs/two.txt": "second listed document",
      "lists/files.jsonl": '{"file":"docs/one.txt"}\n\n{"file":"docs/missing.txt"}\n{"file":"docs/two.txt"}\n',
    });
    const results = await createContainer(docbatch.blobService);
    const { final } = await runBatch(docbatch, MODEL, {
      azureBlobFileListSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl"), fileList: "lists/files.jsonl" },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    });
    const operation = final.body as any;
    assert.equal(operation.status, "succeeded");
    assert.equal(operation.result.succeededCount, 2);
    assert.equal(operation.result.failedCount, 1);
    const missing = operation.result.details.find((d: any) => d.sourceUrl.endsWith("docs/missing.txt"));
    assert.equal(missing.status, "failed");
    assert.equal(missing.resultUrl, undefined);
    assert.equal(missing.error.innererror.code, "SourceNotFound");
    assert.deepEqual(await listBlobNames(results), ["docs/one.txt.ocr.json", "docs/two.txt.ocr.json"]);
  });

  test("a malformed file list fails the batch with a clear error", async () => {
    const source = await createContainer(docbatch.blobService, { "list.jsonl": '{"file":"a.txt"}\nnot json\n' });
    const results = await createContainer(docbatch.blobService);
    const initial = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", MODEL).post({
      contentType: "application/json",
      body: {
        azureBlobFileListSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl"), fileList: "list.jsonl" },
        resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
      },
    });
    assert.equal(initial.status, "202");
    const operation = await pollRaw(docbatch, initial.headers["operation-location"]);
    assert.equal(operation.status, "failed");
    assert.equal(operation.error.innererror.code, "InvalidFileList");
    assert.match(operation.error.innererror.message, /line 2/);
    // The official poller ends on `failed` and surfaces the batch's error.
    const poller = getLongRunningPoller(docbatch.client, initial, { intervalInMs: 100 });
    await assert.rejects(poller.pollUntilDone(), /has failed\. InvalidFileList\..*line 2/);
  });

  test("overwriteExisting false skips existing results with OutputExists; true overwrites them", async () => {
    const source = await createContainer(docbatch.blobService, { "x.txt": "fresh content", "y.txt": "other content" });
    const results = await createContainer(docbatch.blobService, { "x.txt.ocr.json": '{"old":true}' });
    const body = {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    };
    const skipping = (await runBatch(docbatch, MODEL, { ...body, overwriteExisting: false })).final.body as any;
    assert.equal(skipping.status, "succeeded");
    assert.equal(skipping.result.skippedCount, 1);
    assert.equal(skipping.result.succeededCount, 1);
    const skipped = skipping.result.details.find((d: any) => d.status === "skipped");
    assert.ok(skipped.sourceUrl.endsWith("/x.txt"));
    assert.equal(skipped.error.code, "OutputExists");
    assert.deepEqual(await readJsonBlob(results, "x.txt.ocr.json"), { old: true });

    const overwriting = (await runBatch(docbatch, MODEL, { ...body, overwriteExisting: true })).final.body as any;
    assert.equal(overwriting.result.succeededCount, 2);
    assert.equal(overwriting.result.skippedCount, 0);
    assert.match((await readJsonBlob(results, "x.txt.ocr.json")).analyzeResult.content, /fresh content/);
  });

  test("documents that fail sit next to ones that succeed, and the batch still succeeds", async () => {
    const source = await createContainer(docbatch.blobService, {
      "good.txt": "a perfectly good document",
      "empty.pdf": new Uint8Array(),
      "broken.pdf": Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref"),
    });
    const results = await createContainer(docbatch.blobService);
    const operation = (await runBatch(docbatch, MODEL, {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    })).final.body as any;
    assert.equal(operation.status, "succeeded");
    assert.equal(operation.result.succeededCount, 1);
    assert.equal(operation.result.failedCount, 2);
    for (const detail of operation.result.details.filter((d: any) => d.status === "failed")) {
      assert.equal(detail.error.code, "InvalidRequest");
      assert.equal(detail.error.innererror.code, "InvalidContent");
    }
    assert.deepEqual(await listBlobNames(results), ["good.txt.ocr.json"]);
  });

  test("an empty source succeeds with no documents", async () => {
    const source = await createContainer(docbatch.blobService);
    const results = await createContainer(docbatch.blobService);
    const operation = (await runBatch(docbatch, MODEL, {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    })).final.body as any;
    assert.equal(operation.status, "succeeded");
    assert.equal(operation.percentCompleted, 100);
    assert.deepEqual(operation.result, { succeededCount: 0, failedCount: 0, skippedCount: 0, details: [] });
  });

  test("a missing source container fails the batch", async () => {
    const results = await createContainer(docbatch.blobService);
    const ghost = docbatch.blobService.getContainerClient("does-not-exist-anywhere");
    const initial = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", MODEL).post({
      contentType: "application/json",
      body: {
        azureBlobSource: { containerUrl: await sasUrlFor(ghost, docbatch.azurite, "rl") },
        resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
      },
    });
    const operation = await pollRaw(docbatch, initial.headers["operation-location"]);
    assert.equal(operation.status, "failed");
    assert.equal(operation.error.innererror.code, "ContainerNotFound");
    assertNoSas(operation);
  });

  test("URLs without SAS reach the app's own Azurite account when allow-listed, as npm run local does", async () => {
    const source = await createContainer(docbatch.blobService, { "own.txt": "reached with the app identity" });
    const results = await createContainer(docbatch.blobService);
    const operation = (await runBatch(docbatch, MODEL, {
      azureBlobSource: { containerUrl: source.url },
      resultContainerUrl: results.url,
    })).final.body as any;
    assert.equal(operation.result.succeededCount, 1);
    assert.deepEqual(await listBlobNames(results), ["own.txt.ocr.json"]);
  });

  test("two batches writing to the same result prefix produce each result once", async () => {
    const names = Array.from({ length: 6 }, (_, i) => `shared-${i}.txt`);
    const source = await createContainer(docbatch.blobService, Object.fromEntries(names.map((n) => [n, `content of ${n}`])));
    const results = await createContainer(docbatch.blobService);
    const body = {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
      resultPrefix: "same/",
    };
    const [first, second] = await Promise.all([runBatch(docbatch, MODEL, body), runBatch(docbatch, MODEL, body)]);
    const a = first.final.body as any;
    const b = second.final.body as any;
    assert.equal(a.result.succeededCount + b.result.succeededCount, names.length);
    assert.equal(a.result.skippedCount + b.result.skippedCount, names.length);
    assert.equal((await listBlobNames(results)).length, names.length);
  });

  test("lists a model's batches page by page through nextLink", async () => {
    const source = await createContainer(docbatch.blobService, { "l.txt": "listed" });
    const results = await createContainer(docbatch.blobService);
    const started = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { operationLocation } = await runBatch(docbatch, "prebuilt-layout", {
        azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
        resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
        resultPrefix: `run${i}/`,
      });
      started.add(new URL(operationLocation).pathname.split("/").pop()!);
    }
    const firstPage = await docbatch.client
      .path("/documentModels/{modelId}/analyzeBatchResults", "prebuilt-layout")
      .get({ queryParameters: { maxpagesize: 2 } as any });
    assert.equal(firstPage.status, "200");
    if (isUnexpected(firstPage)) throw new Error("unexpected");
    assert.equal((firstPage.body as any).value.length, 2);
    assert.match((firstPage.body as any).nextLink, /^http:\/\/127\.0\.0\.1:\d+\/documentintelligence\/documentModels\/prebuilt-layout\/analyzeBatchResults\?/);
    const seen = new Set<string>();
    for await (const item of paginate(docbatch.client, firstPage)) {
      seen.add((item as any).resultId);
      assert.equal((item as any).status, "succeeded");
    }
    for (const id of started) assert.ok(seen.has(id), `batch ${id} missing from the list`);
  });

  test("DELETE of a finished batch removes its status at once", async () => {
    const source = await createContainer(docbatch.blobService, { "d.txt": "to delete" });
    const results = await createContainer(docbatch.blobService);
    const { operationLocation } = await runBatch(docbatch, MODEL, {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    });
    const resultId = new URL(operationLocation).pathname.split("/").pop()!;
    const route = docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", MODEL, resultId);
    assert.equal((await route.delete()).status, "204");
    const after = await route.get();
    assert.equal(after.status, "404");
    assert.equal((after.body as any).error.innererror.code, "OperationNotFound");
    assert.deepEqual(await listBlobNames(results), ["d.txt.ocr.json"], "results in the caller's container stay");
  });
});

export async function pollRaw(docbatch: Docbatch, operationLocation: string): Promise<any> {
  for (;;) {
    const response = await fetch(operationLocation, { headers: { "ocp-apim-subscription-key": docbatch.apiKey } });
    const body = await response.json();
    assertNoSas(body);
    if (["succeeded", "failed", "canceled"].includes(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export { API_VERSION };
