import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExtractionSchemaError, parseExtractionSchema } from "../../src/analyzers/llmExtraction/extractionSchema.js";

describe("extraction schema", () => {
  it("turns an example-shaped object into a strict JSON Schema", () => {
    const schema = parseExtractionSchema('{"statements":[{"date":"date","customer":"string","total":"number"}]}');
    assert.deepEqual(schema.jsonSchema, {
      type: "object",
      properties: {
        statements: {
          type: "array",
          items: {
            type: "object",
            properties: {
              date: { type: "string", description: "date as YYYY-MM-DD" },
              customer: { type: "string" },
              total: { type: "number" },
            },
            required: ["date", "customer", "total"],
            additionalProperties: false,
          },
        },
      },
      required: ["statements"],
      additionalProperties: false,
    });
    assert.deepEqual(schema.validate({ statements: [{ date: "2024-01-02", customer: "ACME", total: 12.5 }] }), { valid: true });
    const bad = schema.validate({ statements: [{ date: "2024-01-02", customer: "ACME", total: "12" }] });
    assert.equal(bad.valid, false);
    assert.ok(!bad.valid && bad.errors.some((e) => e.includes("/statements/0/total") && e.includes("number")), JSON.stringify(bad));
  });

  it("keeps a JSON Schema as given and validates with it", () => {
    const given = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
    const schema = parseExtractionSchema(JSON.stringify(given));
    assert.deepEqual(schema.jsonSchema, given);
    assert.deepEqual(schema.validate({ n: 3 }), { valid: true });
    const missing = schema.validate({});
    assert.ok(!missing.valid && missing.errors.join().includes("n"));
  });

  it("rejects unparseable or unusable schemas with a message saying what to fix", () => {
    assert.throws(() => parseExtractionSchema("{not json"), (e) => e instanceof ExtractionSchemaError && /not valid JSON/.test(e.message));
    assert.throws(() => parseExtractionSchema("[1]"), (e) => e instanceof ExtractionSchemaError && /JSON object/.test(e.message));
    assert.throws(() => parseExtractionSchema('{"items":[]}'), (e) => e instanceof ExtractionSchemaError && /schema\.items|usable/.test(e.message));
    assert.throws(() => parseExtractionSchema('{"a":null}'), (e) => e instanceof ExtractionSchemaError && /schema\.a is null/.test(e.message));
    assert.throws(() => parseExtractionSchema('{"type":"object","properties":{"x":{"type":"nope"}}}'), (e) => e instanceof ExtractionSchemaError && /usable JSON Schema/.test(e.message));
  });
});
