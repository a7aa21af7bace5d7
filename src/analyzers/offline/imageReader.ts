/**
 * Image reader: PNG, JPEG, TIFF (every page), WebP through sharp, BMP through our decoder;
 * each page is OCR'd upright whichever way it was turned. Positions are in the image's pixels
 * (after EXIF orientation), as given.
 */
import sharp, { type OutputInfo, type Sharp } from "sharp";
import { AnalyzerError } from "../analyzer.js";
import { decodeBmp } from "./bmp.js";
import type { ExtractedDocument, ExtractedPage, ExtractedTable } from "./extractedDocument.js";
import { ocrPageToParagraphs } from "./ocrLayout.js";
import type { OcrPool } from "./ocrPool.js";
import { selectPages } from "./pageSelection.js";
import { separateRules } from "./imageRules.js";
import { tablesOfScan } from "./scanTables.js";
import { joinContinuedTables } from "./tableContinuation.js";
import { readUpright } from "./uprightOcr.js";

export interface ImageReadOptions {
  pages?: string;
  ocr: OcrPool;
  signal?: AbortSignal;
  /** No OCR: each page keeps its size and holds no text (an image has no text layer). */
  textLayerOnly?: boolean;
  /** Find tables (layout model). */
  tables?: boolean;
}

/** Images declared below this resolution are enlarged for OCR: small glyphs read poorly. */
const LOW_DPI = 200;

export async function readImage(bytes: Uint8Array, mime: string, options: ImageReadOptions): Promise<ExtractedDocument> {
  const pages: ExtractedPage[] = [];
  const tables: ExtractedTable[] = [];
  const finish = (): ExtractedDocument => ({ pages, ...(options.tables ? { tables: joinContinuedTables(pages, tables) } : {}) });
  const add = (page: ScannedPage) => {
    pages.push(page.page);
    tables.push(...page.tables);
  };
  if (mime === "image/bmp") {
    const raw = decodeBmp(bytes);
    selectPages(options.pages, 1);
    const image = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
    add(await ocrImage(image, 1, raw.density, options));
    return finish();
  }
  let pageCount: number;
  try {
    const metadata = await sharp(bytes).metadata();
    pageCount = mime === "image/tiff" ? (metadata.pages ?? 1) : 1;
  } catch (error) {
    throw new AnalyzerError("InvalidContent", `The image cannot be read: ${(error as Error).message}`, { cause: error });
  }
  for (const pageNumber of selectPages(options.pages, pageCount)) {
    options.signal?.throwIfAborted();
    const image = sharp(bytes, { page: pageNumber - 1, failOn: "error" }).rotate();
    let density: number | undefined;
    try {
      density = (await image.metadata()).density;
    } catch (error) {
      throw new AnalyzerError("InvalidContent", `Page ${pageNumber} of the image cannot be read: ${(error as Error).message}`, { cause: error });
    }
    add(await ocrImage(image, pageNumber, density, options));
  }
  return finish();
}

interface ScannedPage {
  page: ExtractedPage;
  tables: ExtractedTable[];
}

async function ocrImage(image: Sharp, pageNumber: number, density: number | undefined, options: ImageReadOptions): Promise<ScannedPage> {
  let pixels: { data: Buffer; info: OutputInfo };
  try {
    // Grey pixels (alpha flattened on white): what tesseract reads best and fastest.
    pixels = await image.flatten({ background: "#ffffff" }).greyscale().raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new AnalyzerError("InvalidContent", `Page ${pageNumber} of the image cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const { width, height, channels } = pixels.info;
  if (options.textLayerOnly) return { page: { pageNumber, width, height, unit: "pixel", angle: 0, paragraphs: [] }, tables: [] };
  const scale = density && density < LOW_DPI && width * height < 25_000_000 ? 2 : 1;
  // Table rules are taken out before OCR (tesseract skips boxed text) and kept for the tables.
  const rules = channels === 1 ? separateRules({ data: pixels.data, width, height }, { dpi: density ?? 300 }) : [];
  let encoder = sharp(pixels.data, { raw: { width, height, channels } });
  if (scale !== 1) encoder = encoder.resize(width * scale, height * scale, { kernel: "lanczos3" });
  // Tell tesseract the real resolution (it tunes its heuristics by it); unknown counts as 300.
  const png = await encoder.withMetadata({ density: (density ?? 300) * scale }).png({ compressionLevel: 1 }).toBuffer();
  const reading = await readUpright(png, options.ocr, options.signal);
  let paragraphs = ocrPageToParagraphs(reading, 1 / scale);
  let tables: ExtractedTable[] = [];
  if (options.tables) ({ paragraphs, tables } = tablesOfScan(pageNumber, paragraphs, reading, rules, { unitPerPixel: 1, unitsPerInch: density ?? 300 }));
  return {
    page: { pageNumber, width, height, unit: "pixel", angle: reading.angle, paragraphs, ...(reading.unreadable ? { unreadable: reading.unreadable } : {}) },
    tables,
  };
}
