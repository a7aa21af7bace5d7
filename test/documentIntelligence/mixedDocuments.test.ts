import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  makeDocx,
  makeHtml,
  makeMarkdown,
  makeScannedPdf,
  makeTextImage,
  makeTextPdf,
  SAMPLE_LINES,
  wordAccuracy,
  wordsOf,
  PLAIN_STRUCTURED_TEXT,
  paragraphsOf,
} from "../support/documents.js";
import { createContainer, listBlobNames, readJsonBlob, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** The offline reader behind a real batch: mixed PDFs, scans, images and office files, no cloud. */
describe("a batch over mixed documents, analyzed offline", () => {
  let docbatch: Docbatch;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
  });
  after(async () => docbatch?.close());

  test("every format yields its text in its .ocr.json, with pages in the right unit", async () => {
    const lines = SAMPLE_LINES.slice(0, 3);
    const textPdf = await makeTextPdf([{ blocks: [{ lines }] }, { blocks: [{ lines: SAMPLE_LINES.slice(3, 5) }] }]);
    const scanned = await makeScannedPdf([lines]);
    const png = await makeTextImage("png", [lines], { dpi: 200 });
    const tiff = await makeTextImage("tiff", [lines.slice(0, 2), lines.slice(1, 3)], { dpi: 200 });
    const source = await createContainer(docbatch.blobService, {
      "pdf/text.pdf": textPdf.bytes,
      "pdf/scanned.pdf": scanned.bytes,
      "images/page.png": png.bytes,
      "images/pages.tiff": tiff.bytes,
      "office/letter.docx": await makeDocx(),
      "web/page.html": makeHtml(),
      "notes/readme.md": makeMarkdown(),
    });
    const results = await createContainer(docbatch.blobService);
    const operation = (await runBatch(docbatch, "prebuilt-read", {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    })).final.body as any;
    assert.equal(operation.status, "succeeded");
    assert.equal(operation.result.succeededCount, 7, JSON.stringify(operation.result.details.filter((d: any) => d.error)));
    assert.equal((await listBlobNames(results)).length, 7);

    const read = async (name: string) => (await readJsonBlob(results, `${name}.ocr.json`)).analyzeResult;
    const textResult = await read("pdf/text.pdf");
    assert.equal(textResult.pages.length, 2);
    assert.equal(textResult.pages[0].unit, "inch");
    assert.equal(wordAccuracy(wordsOf(textPdf.pages.flat()), wordsOf([textResult.content])), 1);

    for (const [name, expected] of [["pdf/scanned.pdf", scanned.pages.flat()], ["images/page.png", png.pages.flat()]] as const) {
      const result = await read(name);
      assert.ok(wordAccuracy(wordsOf(expected), wordsOf([result.content])) >= 0.98, `${name}: ${result.content}`);
    }
    assert.equal((await read("images/page.png")).pages[0].unit, "pixel");
    const tiffResult = await read("images/pages.tiff");
    assert.equal(tiffResult.pages.length, 2);
    assert.ok(wordAccuracy(wordsOf(tiff.pages.flat()), wordsOf([tiffResult.content])) >= 0.98);

    const paragraphs = paragraphsOf(PLAIN_STRUCTURED_TEXT);
    for (const name of ["office/letter.docx", "web/page.html", "notes/readme.md"]) {
      const result = await read(name);
      assert.equal(result.pages.length, 1, name);
      for (const paragraph of paragraphs) assert.ok(result.content.includes(paragraph), `${name} lacks "${paragraph}"`);
    }
  });
});
