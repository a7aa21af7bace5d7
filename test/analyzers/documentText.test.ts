import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { AnalyzerError } from "../../src/analyzers/analyzer.js";
import { modelForOcr, readDocumentText } from "../../src/analyzers/llmExtraction/documentText.js";
import { createAnalyzerRegistry } from "../../src/analyzers/registry.js";
import { readSettings } from "../../src/config/settings.js";
import { makeCorruptPdf, makeDocx, makePlainText, PLAIN_STRUCTURED_TEXT } from "../support/documents.js";

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
    assert.equal(modelForOcr("PREMIUM"), "prebuilt-layout");
    assert.equal(modelForOcr("NONE"), "prebuilt-read");
    const { markdown } = await readDocumentText({ analyzers, bytes: makePlainText(), name: "a.txt", ocr: "PREMIUM" });
    assert.ok(markdown.includes(PLAIN_STRUCTURED_TEXT.title));
  });

  it("fails a corrupt file with an analyzer error", async () => {
    await assert.rejects(readDocumentText({ analyzers, bytes: makeCorruptPdf(), name: "bad.pdf", ocr: "DEFAULT" }), (e) => e instanceof AnalyzerError);
  });
});
