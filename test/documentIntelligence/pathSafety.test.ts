import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createContainer, listBlobNames, postAnalyzeBatch, readJsonBlob, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** Caller-given paths never leave the containers the caller named. */
describe("analyzeBatch paths: no '.'/'..' segments, no control characters", () => {
  let docbatch: Docbatch;
  let sourceSas: string;
  let resultSas: string;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
    sourceSas = await sasUrlFor(await createContainer(docbatch.blobService, { "a.txt": "some text" }), docbatch.azurite, "rl");
    resultSas = await sasUrlFor(await createContainer(docbatch.blobService), docbatch.azurite);
  });
  after(async () => docbatch?.close());

  const post = (body: unknown) => postAnalyzeBatch(docbatch, body);

  const cases: [string, () => unknown, string][] = [
    ["prefix '../docs/'", () => ({ azureBlobSource: { containerUrl: sourceSas, prefix: "../docs/" }, resultContainerUrl: resultSas }), "azureBlobSource.prefix"],
    ["prefix 'a/./'", () => ({ azureBlobSource: { containerUrl: sourceSas, prefix: "a/./" }, resultContainerUrl: resultSas }), "azureBlobSource.prefix"],
    ["prefix '%2e%2e/docs'", () => ({ azureBlobSource: { containerUrl: sourceSas, prefix: "%2e%2e/docs" }, resultContainerUrl: resultSas }), "azureBlobSource.prefix"],
    ["prefix '..\\docs'", () => ({ azureBlobSource: { containerUrl: sourceSas, prefix: "..\\docs" }, resultContainerUrl: resultSas }), "azureBlobSource.prefix"],
    ["resultPrefix '../docs/'", () => ({ azureBlobSource: { containerUrl: sourceSas }, resultContainerUrl: resultSas, resultPrefix: "../docs/" }), "resultPrefix"],
    ["resultPrefix 'out/%2E%2E/'", () => ({ azureBlobSource: { containerUrl: sourceSas }, resultContainerUrl: resultSas, resultPrefix: "out/%2E%2E/" }), "resultPrefix"],
    ["fileList '../x.jsonl'", () => ({ azureBlobFileListSource: { containerUrl: sourceSas, fileList: "../x.jsonl" }, resultContainerUrl: resultSas }), "azureBlobFileListSource.fileList"],
  ];
  for (const [name, body, target] of cases) {
    test(`400 InvalidArgument for ${name}`, async () => {
      const response = await post(body());
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error.code, "InvalidArgument");
      assert.equal(response.body.error.target, target);
      assert.match(response.body.error.innererror.message, /'\.\.?' path segment/);
    });
  }

  test("a control character in prefix is a 400 that names it, not a container problem", async () => {
    const response = await post({ azureBlobSource: { containerUrl: sourceSas, prefix: "docs/\u0001" }, resultContainerUrl: resultSas });
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body.error.code, "InvalidArgument");
    assert.equal(response.body.error.target, "azureBlobSource.prefix");
    assert.match(response.body.error.innererror.message, /control character U\+0001/);
  });

  test("a file-list entry with '..' fails that document with InvalidArgument and reads nothing outside the source", async () => {
    const secret = await createContainer(docbatch.blobService, { "secret.txt": "not yours" });
    const list = [{ file: "ok.txt" }, { file: `../${secret.containerName}/secret.txt` }, { file: "%2e%2e/x.txt" }].map((entry) => JSON.stringify(entry)).join("\n");
    const source = await createContainer(docbatch.blobService, { "ok.txt": "fine text", "list.jsonl": list });
    const results = await createContainer(docbatch.blobService);
    const operation = (
      await runBatch(docbatch, "prebuilt-read", {
        azureBlobFileListSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl"), fileList: "list.jsonl" },
        resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
      })
    ).final.body as any;
    assert.equal(operation.result.succeededCount, 1, JSON.stringify(operation.result));
    assert.equal(operation.result.failedCount, 2);
    for (const detail of operation.result.details.filter((d: any) => d.status === "failed")) {
      assert.equal(detail.error.code, "InvalidArgument", JSON.stringify(detail));
      assert.match(detail.error.innererror?.message ?? detail.error.message, /'\.\.' path segment/);
    }
    assert.deepEqual(await listBlobNames(results), ["ok.txt.ocr.json"]);
    assert.match((await readJsonBlob(results, "ok.txt.ocr.json")).analyzeResult.content, /fine text/);
    assert.deepEqual(await listBlobNames(secret), ["secret.txt"]);
  });
});
