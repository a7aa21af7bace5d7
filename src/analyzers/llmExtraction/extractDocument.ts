import type { LlmUpstream } from "../../llm/upstream.js";
import type { AnalyzerRegistry } from "../registry.js";
import { parseExtractionSchema, type ExtractionSchema } from "./extractionSchema.js";
import { readDocumentText, type OcrLevel } from "./documentText.js";
import { extractWithLlm } from "./extractWithLlm.js";
import { locateValues, type SourceLocation } from "./sourceLocations.js";

export interface DocumentExtractionOptions {
  prompt?: string;
  schema?: ExtractionSchema;
  ocr: OcrLevel;
  /** Markdown only, no LLM call. */
  textOnly: boolean;
  pageRange?: readonly number[];
  model: string;
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
  const prompt = options.prompt ?? "Extract the data the schema describes.";
  const { data, tokenCount } = await extractWithLlm({ upstream: services.upstream(), model: options.model, documentText: markdown, prompt, schema, signal });
  return { result: data, tokenCount, sourceLocations: locateValues(data, read) };
}
