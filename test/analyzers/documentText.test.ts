import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { AnalyzerError } from "../../src/analyzers/analyzer.js";
import { readDocumentText } from "../../src/analyzers/llmExtraction/documentText.js";
import { createAnalyzerRegistry } from "../../src/analyzers/registry.js";
import { readSettings } from "../../src/config/settings.js";
import { joinPdfs, makeCorruptPdf, makeDocx, makePlainText, makeScannedPdf, makeTextImage, makeTextPdf, PLAIN_STRUCTURED_TEXT } from "../support/documents.js";

const analyzers = createAnalyzerRegistry(readSettings({}));
after(() => analyzers.close());

describe("document text for extraction", () => {
  it("reads text and DOCX as Markdown with the offline reader", async () => {
    for (const [name, bytes] of [["a.txt", makePlainText()], ["b.docx", await makeDocx()]] as const) {
      const { markdown } = await readDocumentText({ analyzers, bytes, name, ocr: "DEFAULT" });
      assert.ok(markdown.includes(PLAIN_STRUCTURED_TEXT.sections[0]!.paragraphs[0]!), `${name}: ${markdown.slice(0, 200)}`);
    }
  });

  it("PREMIUM reads with layout, offline when Document Intelligence is not configured", async () => {
    const { markdown, result } = await readDocumentText({ analyzers, bytes: makePlainText(), name: "a.txt", ocr: "PREMIUM" });
    assert.equal(result.modelId, "prebuilt-layout");
    assert.ok(markdown.includes(PLAIN_STRUCTURED_TEXT.title));
  });

  it("NONE reads text layers only: a scanned page holds no text, an image fails saying why", async () => {
    const text = await makeTextPdf([{ blocks: [{ lines: ["Layer text Aldebaran"] }] }]);
    const scan = await makeScannedPdf([["SCANNED TELESCOPE PAGE"]]);
    const bytes = await joinPdfs([text.bytes, scan.bytes]);
    const none = await readDocumentText({ analyzers, bytes, name: "mixed.pdf", ocr: "NONE" });
    assert.equal(none.pageCount, 2);
    assert.match(none.markdown, /Aldebaran/);
    assert.doesNotMatch(none.markdown, /TELESCOPE/i);
    const ocr = await readDocumentText({ analyzers, bytes, name: "mixed.pdf", ocr: "DEFAULT" });
    assert.match(ocr.markdown, /TELESCOPE/i, "DEFAULT OCRs the scanned page");

    const image = await makeTextImage("png", [["IMAGE ONLY"]], { fontSizePt: 28 });
    await assert.rejects(readDocumentText({ analyzers, bytes: image.bytes, name: "a.png", ocr: "NONE" }), (e) => e instanceof AnalyzerError && e.code === "InvalidContent" && /no text layer/.test(e.message));
  });

  it("fails a corrupt file with an analyzer error", async () => {
    await assert.rejects(readDocumentText({ analyzers, bytes: makeCorruptPdf(), name: "bad.pdf", ocr: "DEFAULT" }), (e) => e instanceof AnalyzerError);
  });
});
