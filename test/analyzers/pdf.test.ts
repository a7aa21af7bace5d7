import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { AnalyzerError } from "../../src/analyzers/analyzer.js";
import { createOfflineAnalyzer } from "../../src/analyzers/offline/offlineAnalyzer.js";
import { makeCorruptPdf, makeEncryptedPdf, makeMixedPdf, makeScannedPdf, makeTextPdf, SAMPLE_LINES, wordAccuracy, wordsOf } from "../support/documents.js";
import { boxWithin, options, polygonBox, resultWords, sameOccurrence, spanText } from "./helpers.js";

const analyzer = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 60_000 });
after(() => analyzer.close());

describe("offline reader: PDF text layer", () => {
  it("reads every word of several fonts, sizes, a rotated page and two columns, in reading order", async () => {
    const pdf = await makeMixedPdf();
    const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "mixed.pdf", options: options() });
    assert.equal(result.pages.length, 4);
    assert.deepEqual(resultWords(result), wordsOf(pdf.pages.flat()));
    for (const [i, page] of result.pages.entries()) {
      assert.equal(page.unit, "inch");
      assert.deepEqual(page.lines?.map((line) => line.content), pdf.pages[i]);
      for (const word of page.words ?? []) assert.equal(word.confidence, 1);
    }
    assert.deepEqual([result.pages[1].width, result.pages[1].height, result.pages[1].angle], [11, 8.5, 90]);
    assert.deepEqual([result.pages[0].width, result.pages[0].height, result.pages[0].angle], [8.5, 11, 0]);
  });

  it("places word polygons on the words, rotated page included", async () => {
    const pdf = await makeMixedPdf();
    const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "mixed.pdf", options: options() });
    const found = result.pages.flatMap((page) => (page.words ?? []).map((word) => ({ pageNumber: page.pageNumber, word })));
    assert.equal(found.length, pdf.words.length);
    for (const [i, expected] of pdf.words.entries()) {
      const { pageNumber, word } = found[i];
      assert.equal(word.content, expected.text);
      assert.equal(pageNumber, expected.pageNumber);
      assert.equal(word.polygon?.length, 8);
      // Estimated from the run's width: within 0.06 inch of the real glyph box.
      const box = polygonBox(word.polygon!);
      assert.ok(boxWithin(box, expected.box, 0.06) && boxWithin(expected.box, box, 0.06), `${expected.text}: ${JSON.stringify(box)} vs ${JSON.stringify(expected.box)}`);
    }
    // Clockwise from top-left in reading direction: on the 90° page text runs downwards.
    const rotated = result.pages[1].words![0].polygon!;
    assert.ok(rotated[3] > rotated[1], "second corner lies further along the text (downwards)");
  });

  it("spans index words, lines and pages in content under every string index type", async () => {
    const pdf = await makeMixedPdf();
    for (const type of ["textElements", "unicodeCodePoint", "utf16CodeUnit"] as const) {
      const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "mixed.pdf", options: options({ stringIndexType: type }) });
      assert.equal(result.stringIndexType, type);
      for (const page of result.pages) {
        for (const word of page.words ?? []) assert.equal(spanText(result.content, word.span, type), word.content);
        for (const line of page.lines ?? []) assert.equal(spanText(result.content, line.spans[0], type), line.content);
        assert.equal(spanText(result.content, page.spans[0], type), page.lines!.map((line) => line.content).join("\n"));
      }
    }
  });

  it("layout: title and headings by size, paragraphs with bounding regions, markdown content", async () => {
    const pdf = await makeTextPdf([
      {
        blocks: [
          { lines: ["Annual Report"], font: "Helvetica-Bold", size: 26, top: 1.2 },
          { lines: ["Summary"], font: "Helvetica-Bold", size: 16, top: 2 },
          { lines: SAMPLE_LINES.slice(0, 3), size: 11, top: 2.5 },
          { lines: ["Details"], font: "Helvetica-Bold", size: 16, top: 3.5 },
          { lines: SAMPLE_LINES.slice(3, 6), size: 11, top: 4 },
        ],
      },
    ]);
    const result = await analyzer.analyze({ modelId: "prebuilt-layout", bytes: pdf.bytes, name: "report.pdf", options: options({ outputContentFormat: "markdown" }) });
    assert.equal(result.contentFormat, "markdown");
    const roles = result.paragraphs!.map((paragraph) => [paragraph.role, paragraph.content.split("\n")[0]]);
    assert.deepEqual(roles, [
      ["title", "# Annual Report"],
      ["sectionHeading", "## Summary"],
      [undefined, SAMPLE_LINES[0]],
      ["sectionHeading", "## Details"],
      [undefined, SAMPLE_LINES[3]],
    ]);
    assert.ok(result.content.startsWith("# Annual Report\n\n## Summary\n\nThe quick brown fox"));
    for (const paragraph of result.paragraphs!) {
      assert.equal(paragraph.boundingRegions?.[0].pageNumber, 1);
      assert.equal(spanText(result.content, paragraph.spans[0], "textElements"), paragraph.content);
    }
    for (const word of result.pages[0].words!) assert.equal(spanText(result.content, word.span, "textElements"), word.content);
  });

  it("honours the pages option and keeps original page numbers", async () => {
    const pdf = await makeMixedPdf();
    const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "mixed.pdf", options: options({ pages: "1,3-4" }) });
    assert.deepEqual(result.pages.map((page) => page.pageNumber), [1, 3, 4]);
    assert.deepEqual(resultWords(result), wordsOf([...pdf.pages[0], ...pdf.pages[2], ...pdf.pages[3]]));
    for (const pages of ["0", "2-1", "a", "1,,2", "9-12"]) {
      await assert.rejects(
        analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "mixed.pdf", options: options({ pages }) }),
        (error: unknown) => error instanceof AnalyzerError && error.code === "InvalidPages",
        pages,
      );
    }
  });
});

describe("offline reader: scanned PDF", () => {
  it("renders and OCRs a page without text, positions in inches", async () => {
    const lines = SAMPLE_LINES.slice(0, 6);
    const pdf = await makeScannedPdf([lines]);
    const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "scan.pdf", options: options() });
    assert.equal(result.pages[0].unit, "inch");
    assert.ok(wordAccuracy(wordsOf(lines), resultWords(result)) >= 0.98, result.content);
    const words = result.pages[0].words!;
    for (let i = 0; i < pdf.words.length; i += 4) {
      const expected = pdf.words[i];
      const word = sameOccurrence(words, pdf.words, i);
      assert.ok(word, expected.text);
      assert.ok(boxWithin(polygonBox(word.polygon!), expected.box, 0.08), `${expected.text}: ${JSON.stringify(word.polygon)} vs ${JSON.stringify(expected.box)}`);
      assert.ok(word.confidence > 0.5 && word.confidence <= 1);
    }
  });
});

describe("offline reader: broken PDFs", () => {
  const failsWith = (code: string) => (error: unknown) => error instanceof AnalyzerError && error.code === code;
  it("corrupt → InvalidContent", async () => {
    await assert.rejects(analyzer.analyze({ modelId: "prebuilt-read", bytes: makeCorruptPdf(), name: "x.pdf", options: options() }), failsWith("InvalidContent"));
  });
  it("encrypted → PasswordProtected", async () => {
    await assert.rejects(analyzer.analyze({ modelId: "prebuilt-read", bytes: makeEncryptedPdf(), name: "x.pdf", options: options() }), failsWith("PasswordProtected"));
  });
  it("truncated → InvalidContent", async () => {
    const pdf = await makeMixedPdf();
    await assert.rejects(analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes.subarray(0, 400), name: "x.pdf", options: options() }), failsWith("InvalidContent"));
  });
});
