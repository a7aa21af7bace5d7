/**
 * Opens a PDF with pdfjs-dist (legacy build) and reads it one page at a time: the text layer
 * when the page has one, otherwise the page rendered to PNG (@napi-rs/canvas) for OCR. This is
 * the CPU-heavy part of PDF reading; it runs inside a PDF worker thread (pdfWorker.ts), never on
 * the main thread, so a pathological PDF can be stopped by terminating its thread.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createCanvas } from "@napi-rs/canvas";
import { AnalyzerError } from "../analyzer.js";
import type { ExtractedPage, ExtractedTable } from "./extractedDocument.js";
import { rulesOfImage } from "./imageRules.js";
import { rulesOfOperatorList, type Rule } from "./pdfRules.js";
import { findPageTables } from "./pageTables.js";
import { textLayerToParagraphs, type PdfTextContent } from "./pdfTextLayer.js";

type Pdfjs = typeof import("pdfjs-dist/legacy/build/pdf.mjs");
type PdfDocumentProxy = Awaited<ReturnType<Pdfjs["getDocument"]>["promise"]>;
type PdfPage = Awaited<ReturnType<PdfDocumentProxy["getPage"]>>;

const require = createRequire(import.meta.url);
const pdfjsFolder = path.dirname(require.resolve("pdfjs-dist/package.json"));
// pdfjs wants folder URLs ending in "/" for the fonts and character maps it ships.
const standardFontDataUrl = pathToFileURL(path.join(pdfjsFolder, "standard_fonts") + path.sep).href;
const cMapUrl = pathToFileURL(path.join(pdfjsFolder, "cmaps") + path.sep).href;

let pdfjs: Promise<Pdfjs> | undefined;
/** Loaded on first use: pdfjs needs @napi-rs/canvas loaded first for DOMMatrix on Node 20. */
function loadPdfjs(): Promise<Pdfjs> {
  pdfjs ??= import("@napi-rs/canvas").then(() => import("pdfjs-dist/legacy/build/pdf.mjs"));
  return pdfjs;
}

/** Size of a page in inches, as displayed (its /Rotate applied). */
export interface PdfPageFrame {
  pageNumber: number;
  width: number;
  height: number;
  unit: "inch";
}

/**
 * One page as the worker hands it back: read from its text layer, rendered for OCR, or (when
 * not asked to render) only its size: a page without a text layer when OCR is off.
 */
export type PdfPageContent =
  | { kind: "text"; page: ExtractedPage; tables?: ExtractedTable[] }
  | { kind: "scan"; frame: PdfPageFrame; png: Uint8Array; dpi: number; rules: Rule[] }
  | { kind: "noText"; frame: PdfPageFrame };

/** How a page without a text layer is handed back: rendered at `ocrDpi` for OCR, or (absent) not at all. */
export interface PdfPageRequest {
  ocrDpi?: number;
  /** Find tables on text-layer pages (their cells' paragraphs are the page's). */
  tables?: boolean;
}

export interface OpenPdf {
  readonly pageCount: number;
  readPage(pageNumber: number, request: PdfPageRequest): Promise<PdfPageContent>;
  close(): Promise<void>;
}

/** Opens a PDF; takes ownership of `data` (pdfjs detaches its buffer). */
export async function openPdf(data: Uint8Array): Promise<OpenPdf> {
  const lib = await loadPdfjs();
  const task = lib.getDocument({ data, standardFontDataUrl, cMapUrl, cMapPacked: true, isEvalSupported: false, useSystemFonts: false, verbosity: 0 });
  let document: PdfDocumentProxy;
  try {
    document = await task.promise;
  } catch (error) {
    await task.destroy();
    const name = (error as { name?: string }).name;
    if (name === "PasswordException") throw new AnalyzerError("PasswordProtected", "The PDF is protected by a password.", { cause: error });
    throw new AnalyzerError("InvalidContent", `The PDF cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return {
    pageCount: document.numPages,
    async readPage(pageNumber, request) {
      let page: PdfPage;
      try {
        page = await document.getPage(pageNumber);
      } catch (error) {
        throw new AnalyzerError("InvalidContent", `Page ${pageNumber} of the PDF cannot be read: ${(error as Error).message}`, { cause: error });
      }
      try {
        return await readPage(lib, page, request);
      } finally {
        page.cleanup();
      }
    },
    close: () => document.destroy(),
  };
}

async function readPage(lib: Pdfjs, page: PdfPage, { ocrDpi, tables }: PdfPageRequest): Promise<PdfPageContent> {
  const viewport = page.getViewport({ scale: 1 });
  const frame: PdfPageFrame = { pageNumber: page.pageNumber, width: viewport.width / 72, height: viewport.height / 72, unit: "inch" };
  const text = (await page.getTextContent()) as unknown as PdfTextContent;
  const layer = textLayerToParagraphs(lib, text, viewport.transform);
  if (layer && tables) {
    const rules = rulesOfOperatorList(lib, await page.getOperatorList(), viewport.transform);
    const found = findPageTables(frame.pageNumber, layer.paragraphs, rules);
    return { kind: "text", page: { ...frame, angle: layer.angle, paragraphs: found.paragraphs }, tables: found.tables };
  }
  if (layer) return { kind: "text", page: { ...frame, ...layer } };
  if (ocrDpi === undefined) return { kind: "noText", frame };
  // No text layer: a scanned page, rendered here and OCR'd by the caller.
  return { kind: "scan", frame, ...(await renderPage(page, ocrDpi)), dpi: ocrDpi };
}

/** The page rendered at `dpi` for OCR, its table rules (pixels) found and erased from it. */
async function renderPage(page: PdfPage, dpi: number): Promise<{ png: Uint8Array; rules: Rule[] }> {
  const scale = dpi / 72;
  const viewport = page.getViewport({ scale });
  const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas: canvas as unknown as HTMLCanvasElement, canvasContext: context as unknown as CanvasRenderingContext2D, viewport }).promise;
  const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const grey = new Uint8Array(canvas.width * canvas.height);
  for (let i = 0; i < grey.length; i++) grey[i] = (rgba[i * 4] * 77 + rgba[i * 4 + 1] * 150 + rgba[i * 4 + 2] * 29) >> 8;
  const rules = rulesOfImage({ data: grey, width: canvas.width, height: canvas.height }, { dpi, unitPerPixel: 1 });
  // Tesseract skips boxed text: the rules are painted out (two pixels wider for antialiasing).
  context.fillStyle = "#ffffff";
  for (const rule of rules) {
    if (rule.direction === "h") context.fillRect(rule.x0, rule.y0 - 1.5, rule.x1 - rule.x0, 3);
    else context.fillRect(rule.x0 - 1.5, rule.y0, 3, rule.y1 - rule.y0);
  }
  // A copy in an ArrayBuffer of its own: it can be transferred to the main thread (the canvas's
  // buffer is native memory that cannot be detached).
  return { png: new Uint8Array(canvas.toBuffer("image/png")), rules };
}
