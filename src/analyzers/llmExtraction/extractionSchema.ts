import { Ajv, type ErrorObject } from "ajv";

/** The caller's schema text could not be turned into a JSON Schema; the message says what to fix. */
export class ExtractionSchemaError extends Error {
  override readonly name = "ExtractionSchemaError";
}

export type JsonSchema = Record<string, unknown>;

export interface ExtractionSchema {
  readonly jsonSchema: JsonSchema;
  /** Checks an LLM answer; the messages are fit to send back to the model for one repair. */
  validate(value: unknown): { valid: true } | { valid: false; errors: string[] };
}

const schemaKeywords = ["$schema", "properties", "items", "anyOf", "oneOf", "allOf", "$ref", "enum"];
const jsonSchemaTypes = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);

/**
 * DocuDevs callers send either a JSON Schema or an example-shaped object such as
 * `{"statements":[{"date":"date","total":"number"}]}`; both end up as one JSON Schema that
 * OpenAI's strict `json_schema` response format accepts and ajv checks.
 */
export function parseExtractionSchema(schemaText: string): ExtractionSchema {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schemaText);
  } catch (error) {
    throw new ExtractionSchemaError(`schema is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ExtractionSchemaError("schema must be a JSON object (a JSON Schema or an example-shaped object)");
  }
  const jsonSchema = looksLikeJsonSchema(parsed as JsonSchema) ? (parsed as JsonSchema) : fromExample(parsed, "schema");
  const ajv = new Ajv({ allErrors: true, strict: false });
  let check: ReturnType<Ajv["compile"]>;
  try {
    check = ajv.compile(jsonSchema);
  } catch (error) {
    throw new ExtractionSchemaError(`schema is not a usable JSON Schema: ${(error as Error).message}`);
  }
  return {
    jsonSchema,
    validate(value) {
      if (check(value)) return { valid: true };
      return { valid: false, errors: (check.errors ?? []).map(describeError) };
    },
  };
}

function looksLikeJsonSchema(candidate: JsonSchema): boolean {
  if (typeof candidate.type === "string" && jsonSchemaTypes.has(candidate.type)) return true;
  return schemaKeywords.some((keyword) => keyword in candidate && typeof candidate[keyword] === "object");
}

const exampleTypes: Record<string, JsonSchema> = {
  string: { type: "string" },
  text: { type: "string" },
  number: { type: "number" },
  float: { type: "number" },
  decimal: { type: "number" },
  integer: { type: "integer" },
  int: { type: "integer" },
  boolean: { type: "boolean" },
  bool: { type: "boolean" },
  date: { type: "string", description: "date as YYYY-MM-DD" },
  datetime: { type: "string", description: "date and time as ISO 8601" },
};

function fromExample(example: unknown, path: string): JsonSchema {
  if (Array.isArray(example)) {
    if (example.length === 0) throw new ExtractionSchemaError(`${path} is an empty array; give one example element`);
    return { type: "array", items: fromExample(example[0], `${path}[0]`) };
  }
  if (example !== null && typeof example === "object") {
    const properties: Record<string, JsonSchema> = {};
    for (const [key, value] of Object.entries(example)) properties[key] = fromExample(value, `${path}.${key}`);
    return { type: "object", properties, required: Object.keys(properties), additionalProperties: false };
  }
  if (typeof example === "string") {
    return exampleTypes[example.trim().toLowerCase()] ?? { type: "string", description: example };
  }
  if (typeof example === "number") return { type: "number" };
  if (typeof example === "boolean") return { type: "boolean" };
  throw new ExtractionSchemaError(`${path} is null; name its type, e.g. "string"`);
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath === "" ? "(root)" : error.instancePath;
  return `${where} ${error.message ?? "is invalid"}`;
}
