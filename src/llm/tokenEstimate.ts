/**
 * Token counts before and after a request. Before: a cheap estimate from the body, about four
 * characters a token over the text a model reads, plus the output it may write (what Azure
 * OpenAI charges against TPM when it admits a request). After: what the upstream reports.
 */

/** Output tokens assumed when a request sets no limit of its own. */
export const DEFAULT_OUTPUT_TOKENS = 256;
const CHARS_PER_TOKEN = 4;

/** Body fields whose text the model reads. */
const INPUT_FIELDS = ["messages", "input", "prompt", "instructions", "tools", "functions", "response_format", "text"] as const;
/** Short labels inside those fields that are not text the model reads. */
const LABEL_KEYS = new Set(["role", "type"]);
const OUTPUT_LIMIT_FIELDS = ["max_completion_tokens", "max_tokens", "max_output_tokens"] as const;

export function estimateTokens(path: string, body: Record<string, unknown>): number {
  let chars = 0;
  let tokenIds = 0;
  const visit = (value: unknown): void => {
    if (typeof value === "string") chars += value.length;
    else if (typeof value === "number") tokenIds += 1; // pre-tokenized input (embeddings, completions)
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) if (!LABEL_KEYS.has(key)) visit(inner);
    }
  };
  for (const field of INPUT_FIELDS) visit(body[field]);
  const input = Math.ceil(chars / CHARS_PER_TOKEN) + tokenIds;
  if (path.endsWith("/embeddings") || path.endsWith("/moderations")) return Math.max(1, input);
  const limit = OUTPUT_LIMIT_FIELDS.map((field) => body[field]).find((value): value is number => typeof value === "number" && value >= 0);
  const choices = typeof body.n === "number" && body.n > 1 ? body.n : 1;
  return Math.max(1, input + (limit ?? DEFAULT_OUTPUT_TOKENS) * choices);
}

/** The usage an OpenAI-compatible answer reports, in the Batch API's terms (Responses API names). */
export interface TokenUsage {
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

/**
 * Reads `usage` from an answer body: chat/completions/embeddings (`prompt_tokens`,
 * `completion_tokens`) and responses (`input_tokens`, `output_tokens`). Undefined without usage.
 */
export function readUsage(body: unknown): TokenUsage | undefined {
  const usage = (body as { usage?: Record<string, unknown> } | undefined)?.usage;
  if (!usage || typeof usage !== "object") return undefined;
  const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
  const details = (key: string) => (usage[key] && typeof usage[key] === "object" ? (usage[key] as Record<string, unknown>) : {});
  const inputTokens = num(usage.input_tokens ?? usage.prompt_tokens);
  const outputTokens = num(usage.output_tokens ?? usage.completion_tokens);
  return {
    inputTokens,
    cachedTokens: num((details("input_tokens_details").cached_tokens ?? details("prompt_tokens_details").cached_tokens)),
    outputTokens,
    reasoningTokens: num(details("output_tokens_details").reasoning_tokens ?? details("completion_tokens_details").reasoning_tokens),
    totalTokens: num(usage.total_tokens) || inputTokens + outputTokens,
  };
}
