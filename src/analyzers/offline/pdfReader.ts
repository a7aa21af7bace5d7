/**
 * PDF reader: the text layer with positions, and OCR of pages that have no text. pdfjs parsing
 * and rendering happen in a PDF worker thread (pdfWorkerPool.ts); this side asks for one page
 * at a time, a few pages ahead, and OCRs rendered pages while the worker reads the next ones.
 * Positions are in inches, top-left origin, in the page's displayed orientation.
 */
import type { ExtractedDocument, ExtractedPage, ExtractedTable } from "./extractedDocument.js";
import { joinContinuedTables } from "./tableContinuation.js";
import { ocrPageToParagraphs } from "./ocrLayout.js";
import type { OcrPool } from "./ocrPool.js";
import { selectPages } from "./pageSelection.js";
import { tablesOfScan } from "./scanTables.js";
import { readUpright } from "./uprightOcr.js";
import type { PdfPageContent } from "./pdfPageReader.js";
import type { PdfWorkerPool } from "./pdfWorkerPool.js";

/** Pages asked of the worker before they are needed (a rendered page waiting is ~0.5 MB). */
const READ_AHEAD = 3;

export interface PdfReadOptions {
  pages?: string;
  pdf: PdfWorkerPool;
  ocr: OcrPool;
  signal?: AbortSignal;
  /** Resolution scanned pages are rendered at for OCR (default 200). */
  ocrDpi?: number;
  /** Text layers only: pages without one are not rendered or OCR'd and hold no text. */
  textLayerOnly?: boolean;
  /** Find tables (layout model). */
  tables?: boolean;
}

export async function readPdf(bytes: Uint8Array, options: PdfReadOptions): Promise<ExtractedDocument> {
  const dpi = options.ocrDpi ?? 200;
  const session = await options.pdf.open(bytes, options.signal);
  try {
    const pageNumbers = selectPages(options.pages, session.pageCount);
    const pages: ExtractedPage[] = [];
    const tables: ExtractedTable[] = [];
    // Requests queued in the worker, so that it never waits for the main thread between pages.
    const ahead: Promise<PdfPageContent>[] = [];
    let requested = 0;
    const requestMore = () => {
      while (requested < pageNumbers.length && ahead.length < READ_AHEAD) {
        const content = session.readPage(pageNumbers[requested++], { ...(options.textLayerOnly ? {} : { ocrDpi: dpi }), tables: options.tables });
        // Awaited in turn; a failure while an earlier page is OCR'd must not go unhandled.
        content.catch(() => undefined);
        ahead.push(content);
      }
    };
    requestMore();
    while (ahead.length > 0) {
      const content = await ahead.shift()!;
      requestMore();
      if (content.kind === "text") {
        pages.push(content.page);
        tables.push(...(content.tables ?? []));
        continue;
      }
      if (content.kind === "noText") {
        pages.push({ ...content.frame, angle: 0, paragraphs: [] });
        continue;
      }
      options.signal?.throwIfAborted();
      // The worker took the table rules out of the rendering (tesseract skips boxed text).
      const reading = await readUpright(Buffer.from(content.png.buffer, content.png.byteOffset, content.png.byteLength), options.ocr, options.signal);
      let paragraphs = ocrPageToParagraphs(reading, 1 / content.dpi);
      if (options.tables) {
        const found = tablesOfScan(content.frame.pageNumber, paragraphs, reading, content.rules, { unitPerPixel: 1 / content.dpi, unitsPerInch: 1 });
        paragraphs = found.paragraphs;
        tables.push(...found.tables);
      }
      pages.push({ ...content.frame, angle: reading.angle, paragraphs, ...(reading.unreadable ? { unreadable: reading.unreadable } : {}) });
    }
    return { pages, ...(options.tables ? { tables: joinContinuedTables(pages, tables) } : {}) };
  } finally {
    session.release();
  }
}
