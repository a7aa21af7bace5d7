import { UNREADABLE_PAGE_WARNING, type AnalyzeResult } from "../analyzeResult.js";
import type { Analyzer } from "../analyzer.js";
import type { AnalyzerRegistry } from "../registry.js";
import { AnalyzerError } from "../analyzer.js";

/** DocuDevs' `ocr` levels docbatch reads with (`AUTO` is read as `DEFAULT`, `EXCEL` is refused). */
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

interface Reader {
  analyzer: Analyzer | undefined;
  modelId: string;
  textLayerOnly: boolean;
}

/**
 * Where each level reads: NONE the offline reader's text layers only (a cloud service would
 * OCR); DEFAULT/LOW the read model with OCR (the app's choice of place); PREMIUM Document
 * Intelligence `prebuilt-layout` when a resource is configured, else the offline layout reader.
 */
async function readerFor(analyzers: AnalyzerRegistry, ocr: OcrLevel): Promise<Reader> {
  switch (ocr) {
    case "NONE":
      return { analyzer: await analyzers.resolve("prebuilt-read", { runsOn: "offline" }), modelId: "prebuilt-read", textLayerOnly: true };
    case "PREMIUM": {
      const analyzer = (await analyzers.resolve("prebuilt-layout", { runsOn: "documentIntelligence" })) ?? (await analyzers.resolve("prebuilt-layout", { runsOn: "offline" }));
      return { analyzer, modelId: "prebuilt-layout", textLayerOnly: false };
    }
    default:
      return { analyzer: await analyzers.resolve("prebuilt-read"), modelId: "prebuilt-read", textLayerOnly: false };
  }
}

/** The document as Markdown, the text the LLM reads (or the result itself in OCR-only mode). */
export async function readDocumentText(request: DocumentTextRequest): Promise<{ markdown: string; pageCount: number; result: AnalyzeResult }> {
  const { analyzer, modelId, textLayerOnly } = await readerFor(request.analyzers, request.ocr);
  if (!analyzer) throw new AnalyzerError("ModelNotFound", `no reader serves ${modelId}`);
  const result = await analyzer.analyze({
    modelId,
    bytes: request.bytes,
    name: request.name,
    contentType: request.contentType,
    signal: request.signal,
    textLayerOnly,
    options: {
      pages: request.pageRange?.length ? request.pageRange.join(",") : undefined,
      stringIndexType: "utf16CodeUnit",
      outputContentFormat: "markdown",
      features: [],
      queryFields: [],
    },
  });
  // Extracting from no text would only make values up.
  if (textLayerOnly && !result.content.trim()) {
    throw new AnalyzerError("InvalidContent", "the document has no text layer, and ocr NONE reads text layers only (scans and images are not OCR'd); use ocr DEFAULT to read it");
  }
  return { markdown: result.content, pageCount: result.pages?.length ?? 0, result };
}

/**
 * Pages the reader warned it could not read, and whether any page was read: the LLM must not
 * be asked to extract from OCR noise as though it were the document.
 */
export function readability(result: AnalyzeResult): { unreadablePages: number[]; anyPageRead: boolean } {
  const unreadable = new Set<number>();
  for (const warning of result.warnings ?? []) {
    const index = warning.code === UNREADABLE_PAGE_WARNING ? /^\/pages\/(\d+)$/.exec(warning.target ?? "")?.[1] : undefined;
    if (index !== undefined) unreadable.add(Number(index));
  }
  const pages = result.pages ?? [];
  return {
    unreadablePages: [...unreadable].sort((a, b) => a - b).map((index) => pages[index]?.pageNumber ?? index + 1),
    anyPageRead: pages.some((page, index) => !unreadable.has(index) && (page.words?.length ?? 0) > 0) || (pages.length === 0 && result.content.trim() !== ""),
  };
}
