import type { AnalyzeResult } from "../analyzeResult.js";

/** Rough tokens of a text for budgeting (about four characters a token, as OpenAI's guidance has it). */
export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The document's text in chunks of whole pages, each within `budgetTokens` where a page allows
 * (a page larger than the budget is a chunk of its own). One chunk when the whole text fits.
 */
export function pageChunks(result: Pick<AnalyzeResult, "content" | "pages">, budgetTokens: number): string[] {
  if (estimateTextTokens(result.content) <= budgetTokens || result.pages.length <= 1) return [result.content];
  const pageTexts = result.pages.map((page) => page.spans.map((span) => result.content.slice(span.offset, span.offset + span.length)).join("\n"));
  const chunks: string[] = [];
  let current: string[] = [];
  let currentTokens = 0;
  for (const text of pageTexts) {
    const tokens = estimateTextTokens(text);
    if (current.length > 0 && currentTokens + tokens > budgetTokens) {
      chunks.push(current.join("\n\n"));
      current = [];
      currentTokens = 0;
    }
    current.push(text);
    currentTokens += tokens;
  }
  if (current.length > 0) chunks.push(current.join("\n\n"));
  return chunks;
}

/**
 * Merges per-chunk extractions as DocuDevs' map-reduce does: arrays are concatenated in chunk
 * order, objects merged key by key, and a scalar comes from the first chunk that has one
 * (null and empty strings count as missing).
 */
export function mergeExtractions(parts: readonly unknown[]): unknown {
  return parts.reduce((merged, part) => mergeTwo(merged, part));
}

function mergeTwo(first: unknown, second: unknown): unknown {
  if (isMissing(first)) return second;
  if (isMissing(second)) return first;
  if (Array.isArray(first) && Array.isArray(second)) return [...first, ...second];
  if (isObject(first) && isObject(second)) {
    const merged: Record<string, unknown> = { ...first };
    for (const [key, value] of Object.entries(second)) merged[key] = key in merged ? mergeTwo(merged[key], value) : value;
    return merged;
  }
  return first;
}

function isMissing(value: unknown): boolean {
  return value === null || value === undefined || value === "";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
