import type { LlmUpstream } from "../../llm/upstream.js";
import type { ExtractionSchema } from "./extractionSchema.js";

/** The document could not be extracted; the message is what the batch result shows for it. */
export class ExtractionError extends Error {
  override readonly name = "ExtractionError";
}

export interface ExtractionRequest {
  upstream: LlmUpstream;
  model: string;
  /** The document's text (Markdown from the reader). */
  documentText: string;
  prompt: string;
  schema: ExtractionSchema;
  signal?: AbortSignal;
  /** Sent as `max_completion_tokens`: the rate budget reserves it instead of a guess. */
  maxOutputTokens?: number;
}

export interface ExtractionResult {
  data: unknown;
  tokenCount: number;
}

/**
 * Asks the model for JSON in the caller's schema (`response_format: json_schema`), checks the
 * answer with ajv, and gives the model one chance to repair it with the validation errors.
 */
export async function extractWithLlm(request: ExtractionRequest): Promise<ExtractionResult> {
  const messages: { role: string; content: string }[] = [
    { role: "system", content: "Extract data from the document below. Answer only with JSON that matches the schema." },
    { role: "user", content: `${request.prompt}\n\n--- document ---\n${request.documentText}` },
  ];
  let tokenCount = 0;
  let lastProblem = "";
  for (let attempt = 0; attempt < 2; attempt++) {
    const response = await request.upstream.send({
      path: "/chat/completions",
      signal: request.signal,
      body: {
        model: request.model,
        messages,
        ...(request.maxOutputTokens ? { max_completion_tokens: request.maxOutputTokens } : {}),
        response_format: { type: "json_schema", json_schema: { name: "extraction", schema: request.schema.jsonSchema } },
      },
    });
    tokenCount += response.usage?.totalTokens ?? 0;
    if (response.status < 200 || response.status >= 300) {
      throw new ExtractionError(`LLM upstream answered ${response.status}: ${upstreamMessage(response.body)}`);
    }
    const choice = (response.body as { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[] })?.choices?.[0];
    // A repair would be cut off at the same limit: say what to change instead.
    if (choice?.finish_reason === "length") {
      throw new ExtractionError(`the model's answer was cut off at its output limit${request.maxOutputTokens ? ` of ${request.maxOutputTokens} tokens` : ""}; raise DOCBATCH_EXTRACTION_MAX_OUTPUT_TOKENS or ask for less data`);
    }
    const content = choice?.message?.content;
    if (typeof content !== "string") throw new ExtractionError("LLM answer has no message content");
    let data: unknown;
    try {
      data = JSON.parse(content);
    } catch {
      lastProblem = "the answer is not valid JSON";
      messages.push({ role: "assistant", content }, { role: "user", content: `Your answer is not valid JSON. Answer again with JSON only.` });
      continue;
    }
    const verdict = request.schema.validate(data);
    if (verdict.valid) return { data, tokenCount };
    lastProblem = `the answer does not match the schema: ${verdict.errors.join("; ")}`;
    messages.push(
      { role: "assistant", content },
      { role: "user", content: `Your JSON does not match the schema: ${verdict.errors.join("; ")}. Answer again with corrected JSON only.` },
    );
  }
  throw new ExtractionError(`extraction failed after one repair: ${lastProblem}`);
}

function upstreamMessage(body: unknown): string {
  const message = (body as { error?: { message?: unknown } })?.error?.message;
  return typeof message === "string" ? message : typeof body === "string" ? body.slice(0, 200) : "no message";
}
