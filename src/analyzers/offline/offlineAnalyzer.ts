/**
 * The reader that runs inside the function app: `prebuilt-read` and `prebuilt-layout` for PDF,
 * images, DOCX, HTML, Markdown and plain text, with no cloud service. OCR workers and PDF reader
 * threads are started on first need and shared by every document analyzed through this analyzer.
 */
import os from "node:os";
import { AnalyzerError, type AnalyzeInput, type Analyzer, type ModelDescription } from "../analyzer.js";
import type { AnalyzeResult } from "../analyzeResult.js";
import { detectFormat } from "./detectFormat.js";
import { readDocx } from "./docxReader.js";
import type { ExtractedDocument } from "./extractedDocument.js";
import { readHtml } from "./htmlReader.js";
import { readImage } from "./imageReader.js";
import { assignPageFurnitureRoles, assignRolesBySize } from "./layoutRoles.js";
import { OcrPool } from "./ocrPool.js";
import { parsePageOption, selectPages } from "./pageSelection.js";
import { readPdf } from "./pdfReader.js";
import { PdfWorkerPool } from "./pdfWorkerPool.js";
import { buildAnalyzeResult } from "./resultBuilder.js";
import { textToDocument } from "./textBlocks.js";
import { documentTimeout } from "./slotQueue.js";
import { DEFAULT_MAX_TEXT_CHARACTERS, refuseTextBeyond } from "./textLimit.js";

export const OFFLINE_MODELS: readonly ModelDescription[] = [
  { modelId: "prebuilt-read", description: "Extract text: words, lines and paragraphs with positions (runs offline in docbatch).", runsOn: "offline" },
  { modelId: "prebuilt-layout", description: "Extract text and structure: tables, paragraphs with title, heading, page header and footer roles, markdown output (runs offline in docbatch).", runsOn: "offline" },
];

export interface OfflineAnalyzerOptions {
  /** OCR workers, started on first need. */
  ocrWorkers: number;
  /** Time limit for one document. */
  timeoutMs: number;
  /** Resolution scanned PDF pages are rendered at for OCR (default 200). */
  ocrDpi?: number;
  /** PDF reader threads, started on first need (default: OCR workers, at most one per core). */
  pdfWorkers?: number;
  /** V8 heap limit of one PDF reader thread in MB (default 1024). */
  pdfWorkerMaxHeapMb?: number;
  /** Most characters of text one document may hold (default DEFAULT_MAX_TEXT_CHARACTERS); more fail with ContentTooLarge. */
  maxTextCharacters?: number;
}

export interface OfflineAnalyzer extends Analyzer {
  readonly ocr: OcrPool;
  readonly pdf: PdfWorkerPool;
  close(): Promise<void>;
}

export function createOfflineAnalyzer(options: OfflineAnalyzerOptions): OfflineAnalyzer {
  const ocr = new OcrPool({ size: options.ocrWorkers });
  const maxTextCharacters = options.maxTextCharacters ?? DEFAULT_MAX_TEXT_CHARACTERS;
  const pdf = new PdfWorkerPool({
    size: options.pdfWorkers ?? Math.min(options.ocrWorkers, os.availableParallelism()),
    maxHeapMb: options.pdfWorkerMaxHeapMb,
  });
  return {
    models: OFFLINE_MODELS,
    ocr,
    pdf,
    async analyze(input: AnalyzeInput): Promise<AnalyzeResult> {
      if (!OFFLINE_MODELS.some((model) => model.modelId === input.modelId)) {
        throw new AnalyzerError("ModelNotFound", `The offline reader does not serve model ${input.modelId}.`);
      }
      parsePageOption(input.options.pages);
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const signal = input.signal ? AbortSignal.any([input.signal, deadline]) : deadline;
      const work = extract(input, { ocr, pdf, signal, ocrDpi: options.ocrDpi, maxTextCharacters });
      const document = await withSignal(work, signal);
      // Text documents were measured before decoding; PDFs, DOCX and HTML only show their text now.
      refuseTextBeyond(document, maxTextCharacters);
      const layout = input.modelId === "prebuilt-layout";
      if (layout) {
        assignRolesBySize(document);
        assignPageFurnitureRoles(document);
      }
      return buildAnalyzeResult(document, {
        modelId: input.modelId,
        stringIndexType: input.options.stringIndexType,
        outputContentFormat: input.options.outputContentFormat,
        withRoles: layout,
        withTables: layout,
      });
    },
    close: async () => {
      await Promise.all([ocr.close(), pdf.close()]);
    },
  };
}

interface ExtractContext {
  ocr: OcrPool;
  pdf: PdfWorkerPool;
  signal: AbortSignal;
  ocrDpi?: number;
  maxTextCharacters: number;
}

async function extract(input: AnalyzeInput, context: ExtractContext): Promise<ExtractedDocument> {
  const format = await detectFormat(input.bytes, { maxTextCharacters: context.maxTextCharacters });
  const pages = input.options.pages;
  switch (format.kind) {
    case "pdf":
      return readPdf(input.bytes, {
        pages,
        pdf: context.pdf,
        ocr: context.ocr,
        signal: context.signal,
        ocrDpi: context.ocrDpi,
        textLayerOnly: input.textLayerOnly,
        tables: input.modelId === "prebuilt-layout",
      });
    case "image":
      return readImage(input.bytes, format.mime, { pages, ocr: context.ocr, signal: context.signal, textLayerOnly: input.textLayerOnly, tables: input.modelId === "prebuilt-layout" });
    case "docx":
      return onePage(await readDocx(input.bytes), pages);
    case "html":
      return onePage(readHtml(format.text), pages);
    case "markdown":
      return onePage(textToDocument(format.text, { headings: true }), pages);
    case "text":
      return onePage(textToDocument(format.text, { headings: false }), pages);
  }
}

/** Text documents are one page: the page option must still select it. */
function onePage(document: ExtractedDocument, pages: string | undefined): ExtractedDocument {
  selectPages(pages, 1);
  if (document.pages.every((page) => page.paragraphs.length === 0)) throw new AnalyzerError("InvalidContent", "The document holds no text.");
  return document;
}

/**
 * Settles with the work, or with `Timeout` as soon as the signal aborts, whatever the work is
 * doing (a stuck OCR job is recycled by the pool on the same signal).
 */
function withSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  const timeout = () => documentTimeout(signal);
  const classify = (error: unknown) =>
    error instanceof AnalyzerError
      ? error
      : signal.aborted
        ? timeout()
        : new AnalyzerError("InternalServerError", `The offline reader failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(timeout());
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(classify(error));
      },
    );
  });
}
