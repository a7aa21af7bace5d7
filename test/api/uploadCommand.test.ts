import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseUploadCommand, UploadCommandError } from "../../src/api/uploadBatch/uploadCommand.js";

const fails = (body: unknown, pattern: RegExp) =>
  assert.throws(() => parseUploadCommand(body), (e) => e instanceof UploadCommandError && pattern.test(e.message));

describe("DocuDevs UploadCommand", () => {
  it("reads what their Python client sends, unset options false", () => {
    const options = parseUploadCommand({
      prompt: "Extract the statements",
      schema: '{"statements":[{"date":"date","customer":"string","total":"number"}]}',
      mimeType: "application/pdf",
      ocr: "AUTO",
      llm: "MINI",
      extractionMode: "SIMPLE",
      barcodes: false,
      describeFigures: false,
      orgId: "placeholder",
      pageRange: [3, 1, 3],
    });
    assert.equal(options.prompt, "Extract the statements");
    assert.equal(options.ocr, "DEFAULT");
    assert.equal(options.llm, "MINI");
    assert.equal(options.textOnly, false);
    assert.deepEqual(options.pageRange, [1, 3]);
    assert.equal(options.schema?.validate({ statements: [{ date: "2024-01-01", customer: "A", total: 1 }] }).valid, true);
  });

  it("is text only in OCR mode or without prompt and schema", () => {
    assert.equal(parseUploadCommand({ prompt: "x", schema: '{"a":"string"}', extractionMode: "OCR" }).textOnly, true);
    assert.equal(parseUploadCommand({ ocr: "PREMIUM" }).textOnly, true);
    assert.equal(parseUploadCommand({ prompt: "summarise" }).textOnly, false);
  });

  it("refuses unsupported options by name, bad values and unparseable schemas", () => {
    fails({ barcodes: true, tools: ["web"], describeFigures: false }, /unsupported options: barcodes, tools/);
    fails({ ocr: "EXCEL" }, /ocr EXCEL/);
    fails({ extractionMode: "STEPS" }, /extractionMode STEPS/);
    fails({ ocr: "ULTRA" }, /ocr/);
    fails({ pageRange: [0] }, /pageRange/);
    fails({ prompt: "p", schema: "{oops" }, /schema is not valid JSON/);
    fails([], /JSON object/);
  });
});
