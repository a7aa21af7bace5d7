import { readTextBody } from "../http/requestBody.js";
import type { ApiRequest } from "../http/types.js";
import { OpenAiError } from "./errors.js";

const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

/** A JSON object body (up to 1 MB), or OpenAI's `invalid_json` error. */
export async function readJsonObject(request: ApiRequest): Promise<Record<string, unknown>> {
  const text = await readTextBody(request, { limitBytes: JSON_BODY_LIMIT_BYTES });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OpenAiError(400, "We could not parse the JSON body of your request. Send a JSON object.", { code: "invalid_json" });
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new OpenAiError(400, "The request body must be a JSON object.", { code: "invalid_json" });
  return body as Record<string, unknown>;
}
