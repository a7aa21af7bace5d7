import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createContainer, listBlobNames, readJsonBlob, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** A one-line text of `bytes` ASCII bytes: short words separated by single spaces. */
function oneLineText(bytes: number): Buffer {
  const word = Buffer.from("lorem ipsum dolor sit amet ");
  const text = Buffer.alloc(bytes);
  for (let at = 0; at < bytes; at += word.length) word.copy(text, at);
  return text;
}

/** Documents that used to blow memory, be misread or be analyzed twice, in real batches. */
describe("hostile and unusual text documents through the official client", () => {
  let docbatch: Docbatch;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
  });
  after(async () => docbatch?.close());

  async function analyze(documents: Record<string, string | Uint8Array>, query: Record<string, string> = {}, model = "prebuilt-read") {
    const source = await createContainer(docbatch.blobService, documents);
    const results = await createContainer(docbatch.blobService);
    const { final } = await runBatch(
      docbatch,
      model,
      { azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") }, resultContainerUrl: await sasUrlFor(results, docbatch.azurite) },
      query,
    );
    const operation = final.body as any;
    const detail = (name: string) => operation.result.details.find((d: any) => d.sourceUrl.endsWith(`/${name}`));
    const result = async (name: string) => (await readJsonBlob(results, `${name}.ocr.json`)).analyzeResult;
    return { operation, detail, result, results };
  }

  test("a 10 MB one-line text fails alone with ContentTooLarge naming the setting; the rest of the batch succeeds", async () => {
    const { operation, detail, results } = await analyze({ "huge.txt": oneLineText(10 * 1024 * 1024), "small.txt": "a small document" });
    assert.equal(operation.result.succeededCount, 1, JSON.stringify(operation.result.details));
    const huge = detail("huge.txt");
    assert.equal(huge.status, "failed");
    assert.equal(huge.error.code, "InvalidRequest");
    assert.equal(huge.error.innererror.code, "ContentTooLarge");
    assert.match(huge.error.innererror.message, /3000000 characters per document \(DOCBATCH_MAX_TEXT_CHARACTERS\)/);
    assert.deepEqual(await listBlobNames(results), ["small.txt.ocr.json"]);
  });

  test("UTF-16 texts with a BOM and Latin-1 texts are read as text", async () => {
    const text = "Préface: naïve café\n\nÜber façades";
    const { operation, result } = await analyze({
      "utf16le.txt": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]),
      "utf16be.txt": Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]),
      "latin1.txt": Buffer.from(text, "latin1"),
    });
    assert.equal(operation.result.succeededCount, 3, JSON.stringify(operation.result.details));
    for (const name of ["utf16le.txt", "utf16be.txt", "latin1.txt"]) assert.equal((await result(name)).content, "Préface: naïve café\nÜber façades", name);
  });

  test("Markdown emphasis and list markers are not part of the content", async () => {
    const md = "# Notes\n\nThe **total** is __final__ and *binding*.\n\n- apples\n- pears\n1. first\n";
    const { operation, result } = await analyze({ "notes.md": md }, { outputContentFormat: "markdown" }, "prebuilt-layout");
    assert.equal(operation.result.succeededCount, 1, JSON.stringify(operation.result.details));
    const analyzed = await result("notes.md");
    assert.equal(analyzed.content, "# Notes\n\nThe total is final and binding.\n\napples\npears\nfirst");
    assert.deepEqual(analyzed.pages[0].words.map((w: any) => w.content).slice(0, 5), ["Notes", "The", "total", "is", "final"]);
  });

  test("with the source as result container, results already there are not analyzed again", async () => {
    const container = await createContainer(docbatch.blobService, { "a.txt": "first document", "old/b.txt": "second document" });
    const url = await sasUrlFor(container, docbatch.azurite);
    const first = (await runBatch(docbatch, "prebuilt-read", { azureBlobSource: { containerUrl: url }, resultContainerUrl: url })).final.body as any;
    assert.equal(first.result.succeededCount, 2);
    const second = (await runBatch(docbatch, "prebuilt-read", { azureBlobSource: { containerUrl: url }, resultContainerUrl: url, overwriteExisting: true })).final.body as any;
    assert.equal(second.result.details.length, 2, JSON.stringify(second.result.details.map((d: any) => d.sourceUrl)));
    assert.equal(second.result.succeededCount, 2);
    assert.deepEqual(await listBlobNames(container), ["a.txt", "a.txt.ocr.json", "old/b.txt", "old/b.txt.ocr.json"]);
  });
});
