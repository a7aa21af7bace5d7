import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeTextPdf } from "../support/documents.js";
import { createContainer, readJsonBlob, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** Grapheme offset of a UTF-16 offset, the reference way: Intl.Segmenter over the whole text. */
function graphemeOffset(content: string, utf16Offset: number): number {
  let count = 0;
  for (const { index } of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(content)) {
    if (index >= utf16Offset) break;
    count++;
  }
  return count;
}

/** A line of text with combining marks and emoji, so grapheme clusters differ from UTF-16 units. */
const mixedLine = (n: number) => `Line ${n}: cafe\u0301 nai\u0308ve 📄 façade résumé and plain words to make it long enough.`;

/** Documents with far more characters than a call's argument list can hold, under the default stringIndexType. */
describe("large text documents, default stringIndexType (textElements)", () => {
  let docbatch: Docbatch;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
  });
  after(async () => docbatch?.close());

  test("a 200 KB text and a 60-page text PDF are analyzed, with spans in grapheme clusters", async () => {
    const lines: string[] = [];
    for (let n = 0; lines.join("\n").length < 200_000; n++) lines.push(mixedLine(n));
    const text = lines.join("\n");
    const pdfPages = Array.from({ length: 60 }, (_, page) => ({
      blocks: [{ size: 9, top: 0.8, lines: Array.from({ length: 50 }, (_, line) => `Page ${page + 1} line ${line + 1} with enough words to fill it across the width`) }],
    }));
    const pdf = await makeTextPdf(pdfPages);
    const source = await createContainer(docbatch.blobService, { "big.txt": text, "long.pdf": pdf.bytes });
    const results = await createContainer(docbatch.blobService);
    const operation = (
      await runBatch(docbatch, "prebuilt-read", {
        azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
        resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
      })
    ).final.body as any;
    assert.equal(operation.status, "succeeded", JSON.stringify(operation.result?.details?.filter((d: any) => d.error)));
    assert.equal(operation.result.succeededCount, 2);

    const textResult = (await readJsonBlob(results, "big.txt.ocr.json")).analyzeResult;
    assert.equal(textResult.stringIndexType, "textElements");
    assert.ok(textResult.content.length >= 200_000);
    const lastWord = textResult.pages[0].words.at(-1);
    const lastWordStart = textResult.content.lastIndexOf(lastWord.content);
    assert.equal(lastWord.span.offset, graphemeOffset(textResult.content, lastWordStart));
    assert.equal(textResult.pages[0].spans[0].length, graphemeOffset(textResult.content, textResult.content.length));

    const pdfResult = (await readJsonBlob(results, "long.pdf.ocr.json")).analyzeResult;
    assert.equal(pdfResult.pages.length, 60);
    assert.ok(pdfResult.content.length > 125_000, `only ${pdfResult.content.length} characters`);
    assert.match(pdfResult.content, /Page 60 line 50 with enough words/);
    const pdfLast = pdfResult.pages[59].words.at(-1);
    assert.equal(pdfLast.content, "width");
    assert.equal(pdfLast.span.offset + pdfLast.span.length, pdfResult.content.length);
  });
});
