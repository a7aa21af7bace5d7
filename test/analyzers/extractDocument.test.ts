import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseExtractionSchema } from "../../src/analyzers/llmExtraction/extractionSchema.js";
import { extractDocument } from "../../src/analyzers/llmExtraction/extractDocument.js";
import { createAnalyzerRegistry } from "../../src/analyzers/registry.js";
import { readSettings } from "../../src/config/settings.js";
import { createLlmUpstream } from "../../src/llm/upstream.js";
import { makeDocx, makePlainText, PLAIN_STRUCTURED_TEXT } from "../support/documents.js";
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
});
