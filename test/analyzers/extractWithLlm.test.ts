import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { parseExtractionSchema } from "../../src/analyzers/llmExtraction/extractionSchema.js";
import { ExtractionError, extractWithLlm } from "../../src/analyzers/llmExtraction/extractWithLlm.js";
import { readSettings } from "../../src/config/settings.js";
import { createLlmUpstream } from "../../src/llm/upstream.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";

let fake: FakeOpenAiUpstream;
before(async () => {
  fake = await startFakeOpenAiUpstream({ models: ["extract-test"], apiKey: "upstream-key" });
});
after(() => fake.close());
beforeEach(() => fake.reset());

const upstream = () =>
  createLlmUpstream(
    readSettings({
      DOCBATCH_LLM_ENDPOINT: fake.baseUrl,
      DOCBATCH_LLM_API_KEY: "upstream-key",
      DOCBATCH_LLM_MODELS: "extract-test",
      DOCBATCH_ALLOW_LOOPBACK_HTTP: "true",
      DOCBATCH_LLM_REQUESTS_PER_MINUTE: "60000",
      DOCBATCH_LLM_TOKENS_PER_MINUTE: "100000000",
    }),
    { retries: 0 },
  );

const schema = parseExtractionSchema('{"customer":"string","total":"number"}');

describe("LLM extraction", () => {
  it("sends the document text and the schema, and returns the validated JSON", async () => {
    const result = await extractWithLlm({ upstream: upstream(), model: "extract-test", documentText: "Invoice for ACME total 42", prompt: "Get the customer", schema });
    assert.deepEqual(Object.keys(result.data as object).sort(), ["customer", "total"]);
    assert.equal(typeof (result.data as { total: unknown }).total, "number");
    assert.equal(fake.requests.length, 1);
    const body = fake.requests[0]!.body as { messages: { content: string }[]; response_format: { type: string; json_schema: { schema: unknown } } };
    assert.ok(body.messages.some((m) => m.content.includes("Invoice for ACME total 42") && m.content.includes("Get the customer")));
    assert.equal(body.response_format.type, "json_schema");
    assert.deepEqual(body.response_format.json_schema.schema, schema.jsonSchema);
  });

  it("repairs once with the validation errors", async () => {
    fake.script({ times: 1, answer: { content: '{"customer":"ACME","total":"forty-two"}' } });
    fake.script({ match: (r) => r.promptText.includes("does not match the schema"), answer: { content: '{"customer":"ACME","total":42}' } });
    const result = await extractWithLlm({ upstream: upstream(), model: "extract-test", documentText: "doc", prompt: "p", schema });
    assert.deepEqual(result.data, { customer: "ACME", total: 42 });
    assert.equal(fake.requests.length, 2);
  });

  it("fails the document clearly when the repair is still wrong", async () => {
    fake.script({ answer: { content: '{"customer":"ACME"}' } });
    await assert.rejects(
      extractWithLlm({ upstream: upstream(), model: "extract-test", documentText: "doc", prompt: "p", schema }),
      (e) => e instanceof ExtractionError && /after one repair/.test(e.message) && /total/.test(e.message),
    );
    assert.equal(fake.requests.length, 2);
  });

  it("reports an upstream rejection as the document's error", async () => {
    fake.reject(undefined, { status: 400, message: "schema too deep" });
    await assert.rejects(
      extractWithLlm({ upstream: upstream(), model: "extract-test", documentText: "doc", prompt: "p", schema }),
      (e) => e instanceof ExtractionError && /400/.test(e.message) && /schema too deep/.test(e.message),
    );
  });
});
