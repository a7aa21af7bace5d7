import type { AnalyzeResult } from "../analyzeResult.js";
import type { AnalyzerRegistry } from "../registry.js";
import { AnalyzerError } from "../analyzer.js";

export type OcrLevel = "NONE" | "DEFAULT" | "LOW" | "PREMIUM";

export interface DocumentTextRequest {
  analyzers: AnalyzerRegistry;
  bytes: Uint8Array;
  name: string;
  contentType?: string;
  ocr: OcrLevel;
  /** 1-based pages; all when absent. */
  pageRange?: readonly number[];
  signal?: AbortSignal;
}

/**
 * PREMIUM reads with layout (Document Intelligence when the app prefers the cloud, else the
 * offline layout reader); the other levels with the offline reader's read model.
 */
export function modelForOcr(ocr: OcrLevel): string {
  return ocr === "PREMIUM" ? "prebuilt-layout" : "prebuilt-read";
}

/** The document as Markdown, the text the LLM reads (or the result itself in OCR-only mode). */
export async function readDocumentText(request: DocumentTextRequest): Promise<{ markdown: string; pageCount: number; result: AnalyzeResult }> {
  const modelId = modelForOcr(request.ocr);
  const analyzer = await request.analyzers.resolve(modelId);
  if (!analyzer) throw new AnalyzerError("ModelNotFound", `no reader serves ${modelId}`);
  const result = await analyzer.analyze({
    modelId,
    bytes: request.bytes,
    name: request.name,
    contentType: request.contentType,
    signal: request.signal,
    options: {
      pages: request.pageRange?.length ? request.pageRange.join(",") : undefined,
      stringIndexType: "utf16CodeUnit",
      outputContentFormat: "markdown",
      features: [],
      queryFields: [],
    },
  });
  return { markdown: result.content, pageCount: result.pages?.length ?? 0, result };
}
