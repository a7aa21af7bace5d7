import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { parseExtractionSchema } from "../../src/analyzers/llmExtraction/extractionSchema.js";
import { extractDocument } from "../../src/analyzers/llmExtraction/extractDocument.js";
import { ExtractionError } from "../../src/analyzers/llmExtraction/extractWithLlm.js";
import { createAnalyzerRegistry } from "../../src/analyzers/registry.js";
import { readSettings } from "../../src/config/settings.js";
import { createLlmUpstream } from "../../src/llm/upstream.js";
import { makeDocx, makeNoiseScan, makePlainText, makeTextPdf, PLAIN_STRUCTURED_TEXT, renderTextPng } from "../support/documents.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";

let fake: FakeOpenAiUpstream;
const analyzers = createAnalyzerRegistry(readSettings({}));
before(async () => {
  fake = await startFakeOpenAiUpstream({ models: ["extract-test"] });
});
after(async () => {
  await fake.close();
  await analyzers.close();
});
const services = () => ({
  analyzers,
  upstream: () =>
    createLlmUpstream(readSettings({ DOCBATCH_LLM_ENDPOINT: fake.baseUrl, DOCBATCH_LLM_API_KEY: "k", DOCBATCH_LLM_MODELS: "extract-test", DOCBATCH_ALLOW_LOOPBACK_HTTP: "true" }), { retries: 0 }),
});

describe("extracting one uploaded document", () => {
  it("sends the DOCX's text to the model and returns JSON in the example-shaped schema", async () => {
    const paragraph = PLAIN_STRUCTURED_TEXT.sections[0]!.paragraphs[0]!;
    fake.script({
      times: 1,
      answer: (request) => ({ content: JSON.stringify({ statements: [{ date: "2024-01-31", customer: request.promptText.includes(paragraph) ? "read the document" : "blind", total: 12.5 }] }) }),
    });
    const schema = parseExtractionSchema('{"statements":[{"date":"date","customer":"string","total":"number"}]}');
    const { result } = await extractDocument(services(), { bytes: await makeDocx(), name: "s.docx" }, { prompt: "Get statements", schema, ocr: "DEFAULT", textOnly: false, model: "extract-test" });
    const statements = (result as { statements: Record<string, unknown>[] }).statements;
    assert.deepEqual(statements, [{ date: "2024-01-31", customer: "read the document", total: 12.5 }]);
  });

  it("answers Markdown without an LLM call in OCR-only mode", async () => {
    const before = fake.requests.length;
    const { result, tokenCount } = await extractDocument(services(), { bytes: makePlainText(), name: "a.txt" }, { ocr: "DEFAULT", textOnly: true, model: "extract-test" });
    assert.equal(typeof result, "string");
    assert.ok((result as string).includes(PLAIN_STRUCTURED_TEXT.title));
    assert.equal(tokenCount, 0);
    assert.equal(fake.requests.length, before);
  });

  const MARKERS = ["Aldebaran", "Betelgeuse", "Canopus"];
  const threePages = () => makeTextPdf(MARKERS.map((marker) => ({ blocks: [{ lines: [`Statement page for ${marker}`, `Customer ${marker} owes money`] }] })));
  const chunkAnswer = (request: { promptText: string }) => {
    const document = request.promptText.split("--- document ---")[1] ?? "";
    const seen = MARKERS.filter((marker) => document.includes(marker));
    return { content: JSON.stringify({ title: seen.includes("Betelgeuse") ? "Second page title" : "", statements: seen.map((customer) => ({ date: "2024-01-31", customer, total: 1 })) }) };
  };
  const titledSchema = () => parseExtractionSchema('{"title":"string","statements":[{"date":"date","customer":"string","total":"number"}]}');

  it("splits a document over the context budget by pages, extracts each chunk and merges (arrays concatenated, scalars from the first chunk that has them)", async () => {
    fake.reset();
    fake.script({ answer: chunkAnswer });
    const pdf = await threePages();
    const { result } = await extractDocument(services(), { bytes: pdf.bytes, name: "long.pdf" }, { prompt: "Get statements", schema: titledSchema(), ocr: "DEFAULT", textOnly: false, model: "extract-test", contextTokens: 12 });
    assert.equal(fake.requests.length, 3, "one call per page-sized chunk");
    const merged = result as { title: string; statements: { customer: string }[] };
    assert.deepEqual(merged.statements.map((statement) => statement.customer), MARKERS);
    assert.equal(merged.title, "Second page title");
  });

  it("reads one call's worth when the document fits the budget, and only the pages of pageRange", async () => {
    fake.reset();
    fake.script({ answer: chunkAnswer });
    const pdf = await threePages();
    const whole = await extractDocument(services(), { bytes: pdf.bytes, name: "long.pdf" }, { prompt: "Get", schema: titledSchema(), ocr: "DEFAULT", textOnly: false, model: "extract-test", contextTokens: 100_000 });
    assert.equal(fake.requests.length, 1);
    assert.equal((whole.result as { statements: unknown[] }).statements.length, 3);
    const second = await extractDocument(services(), { bytes: pdf.bytes, name: "long.pdf" }, { prompt: "Get", schema: titledSchema(), ocr: "DEFAULT", textOnly: false, model: "extract-test", pageRange: [2] });
    assert.deepEqual((second.result as { statements: { customer: string }[] }).statements.map((s) => s.customer), ["Betelgeuse"]);
  });

  it("refuses to extract from a scan it could not read (no empty fields as a success)", async () => {
    fake.reset();
    const noise = await makeNoiseScan({ width: 600, height: 400 });
    await assert.rejects(
      extractDocument(services(), { bytes: noise, name: "noise.png" }, { prompt: "Get statements", schema: titledSchema(), ocr: "DEFAULT", textOnly: false, model: "extract-test" }),
      (error: unknown) => error instanceof ExtractionError && /could not be read.*page 1/.test(error.message),
    );
    assert.equal(fake.requests.length, 0, "no LLM call over OCR noise");
  });

  it("tells the model which page could not be read when others could", async () => {
    fake.reset();
    fake.script({ answer: chunkAnswer });
    const text = renderTextPng(["Statement page for Aldebaran", "Customer Aldebaran owes money"], { dpi: 300 });
    const noise = await makeNoiseScan({ width: 600, height: 400 });
    const tiff = await sharp([text.png, await sharp(noise).resize(text.width, text.height, { fit: "fill" }).png().toBuffer()], { join: { animated: true } }).tiff().toBuffer();
    const { result } = await extractDocument(services(), { bytes: tiff, name: "mixed.tif" }, { prompt: "Get statements", schema: titledSchema(), ocr: "DEFAULT", textOnly: false, model: "extract-test" });
    assert.match(JSON.stringify(fake.requests[0].body.messages), /page 2 of this document could not be read/);
    assert.deepEqual((result as { statements: { customer: string }[] }).statements.map((s) => s.customer), ["Aldebaran"]);
  });
});
