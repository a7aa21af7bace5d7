import type { LlmUpstream } from "../../llm/upstream.js";
import type { AnalyzerRegistry } from "../registry.js";
import { parseExtractionSchema, type ExtractionSchema } from "./extractionSchema.js";
import { readability, readDocumentText, type OcrLevel } from "./documentText.js";
import { mergeExtractions, pageChunks } from "./chunking.js";
import { ExtractionError, extractWithLlm } from "./extractWithLlm.js";
import { locateValues, type SourceLocation } from "./sourceLocations.js";

export interface DocumentExtractionOptions {
  prompt?: string;
  schema?: ExtractionSchema;
  ocr: OcrLevel;
  /** Markdown only, no LLM call. */
  textOnly: boolean;
  pageRange?: readonly number[];
  model: string;
  /** Tokens of document text one LLM call may carry; longer documents are split by pages. Default: no limit. */
  contextTokens?: number;
  /** Output limit of one call (`max_completion_tokens`); default: the upstream's. */
  maxOutputTokens?: number;
}

export interface DocumentExtractionServices {
  analyzers: AnalyzerRegistry;
  upstream: () => LlmUpstream;
}

/** One uploaded document's result: its Markdown in OCR-only mode, else the data the LLM extracted. */
export async function extractDocument(
  services: DocumentExtractionServices,
  document: { bytes: Uint8Array; name: string; contentType?: string },
  options: DocumentExtractionOptions,
  signal?: AbortSignal,
): Promise<{ result: unknown; tokenCount: number; sourceLocations?: Record<string, SourceLocation> }> {
  const { markdown, result: read } = await readDocumentText({ analyzers: services.analyzers, ...document, ocr: options.ocr, pageRange: options.pageRange, signal });
  if (options.textOnly) return { result: markdown, tokenCount: 0 };
  // A prompt without a schema still answers JSON: one free-form object.
  const schema = options.schema ?? parseExtractionSchema('{"type":"object"}');
  const { unreadablePages, anyPageRead } = readability(read);
  const pageList = unreadablePages.join(", ");
  if (unreadablePages.length && !anyPageRead) {
    throw new ExtractionError(`the document could not be read: OCR found no readable text on page ${pageList} (${read.warnings?.[0]?.message ?? "unreadable"}); nothing was extracted`);
  }
  const basePrompt = options.prompt ?? "Extract the data the schema describes.";
  // Some pages read, some not: the model is told which text is OCR noise rather than the document.
  const prompt = unreadablePages.length
    ? `${basePrompt}\n\nNote: page ${pageList} of this document could not be read (its text below is OCR noise). Do not take values from it; leave out what only that page could answer.`
    : basePrompt;
  const chunks = options.contextTokens ? pageChunks(read, options.contextTokens) : [markdown];
  let tokenCount = 0;
  const parts: unknown[] = [];
  // One chunk after the other: a document holds one of its batch's concurrency slots.
  for (const documentText of chunks) {
    const part = await extractWithLlm({ upstream: services.upstream(), model: options.model, documentText, prompt, schema, signal, maxOutputTokens: options.maxOutputTokens });
    tokenCount += part.tokenCount;
    parts.push(part.data);
  }
  const data = mergeExtractions(parts);
  if (chunks.length > 1) {
    const verdict = schema.validate(data);
    if (!verdict.valid) throw new ExtractionError(`the ${chunks.length} parts of the long document merged into JSON that does not match the schema: ${verdict.errors.join("; ")}`);
  }
  return { result: data, tokenCount, sourceLocations: locateValues(data, read) };
}
