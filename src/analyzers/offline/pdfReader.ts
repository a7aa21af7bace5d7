/**
 * PDF reader: the text layer with positions (pdfjs-dist legacy build), and OCR of pages that
 * have no text (rendered with @napi-rs/canvas). Positions are in inches, top-left origin, in the
 * page's displayed orientation (its /Rotate applied).
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createCanvas } from "@napi-rs/canvas";
import { AnalyzerError } from "../analyzer.js";
import type { ExtractedDocument, ExtractedLine, ExtractedPage, ExtractedParagraph, ExtractedWord } from "./extractedDocument.js";
import { ocrPageToParagraphs } from "./ocrLayout.js";
import type { OcrPool } from "./ocrPool.js";
import { selectPages } from "./pageSelection.js";

type Pdfjs = typeof import("pdfjs-dist/legacy/build/pdf.mjs");
type PdfPage = Awaited<ReturnType<Awaited<ReturnType<Pdfjs["getDocument"]>["promise"]>["getPage"]>>;

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

export interface PdfReadOptions {
  pages?: string;
  ocr: OcrPool;
  signal?: AbortSignal;
  /** Resolution scanned pages are rendered at for OCR. */
  ocrDpi?: number;
}

export async function readPdf(bytes: Uint8Array, options: PdfReadOptions): Promise<ExtractedDocument> {
  const lib = await loadPdfjs();
  const task = lib.getDocument({
    // pdfjs transfers (detaches) the buffer it is given: hand it a copy.
    data: new Uint8Array(bytes),
    standardFontDataUrl,
    cMapUrl,
    cMapPacked: true,
    isEvalSupported: false,
    useSystemFonts: false,
    verbosity: 0,
  });
  let document;
  try {
    document = await task.promise;
  } catch (error) {
    await task.destroy();
    const name = (error as { name?: string }).name;
    if (name === "PasswordException") throw new AnalyzerError("PasswordProtected", "The PDF is protected by a password.", { cause: error });
    throw new AnalyzerError("InvalidContent", `The PDF cannot be read: ${(error as Error).message}`, { cause: error });
  }
  try {
    const pageNumbers = selectPages(options.pages, document.numPages);
    const pages: ExtractedPage[] = [];
    for (const pageNumber of pageNumbers) {
      options.signal?.throwIfAborted();
      let page: PdfPage;
      try {
        page = await document.getPage(pageNumber);
      } catch (error) {
        throw new AnalyzerError("InvalidContent", `Page ${pageNumber} of the PDF cannot be read: ${(error as Error).message}`, { cause: error });
      }
      try {
        pages.push(await readPage(lib, page, options));
      } finally {
        page.cleanup();
      }
    }
    return { pages };
  } finally {
    await document.destroy();
  }
}

async function readPage(lib: Pdfjs, page: PdfPage, options: PdfReadOptions): Promise<ExtractedPage> {
  const viewport = page.getViewport({ scale: 1 });
  const base = { pageNumber: page.pageNumber, width: viewport.width / 72, height: viewport.height / 72, unit: "inch" as const };
  const text = await page.getTextContent();
  const runs = toRuns(lib, text, viewport.transform);
  if (runs.length > 0) {
    const lines = groupRunsIntoLines(runs);
    return { ...base, angle: dominantAngle(lines), paragraphs: groupLinesIntoParagraphs(lines) };
  }
  // No text layer: a scanned page. Render it and OCR it.
  const dpi = options.ocrDpi ?? 200;
  const png = await renderPage(page, dpi / 72);
  options.signal?.throwIfAborted();
  const ocr = await options.ocr.recognize(png, options.signal);
  return { ...base, angle: 0, paragraphs: ocrPageToParagraphs(ocr, 1 / dpi) };
}

async function renderPage(page: PdfPage, scale: number): Promise<Buffer> {
  const viewport = page.getViewport({ scale });
  const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas: canvas as unknown as HTMLCanvasElement, canvasContext: context as unknown as CanvasRenderingContext2D, viewport }).promise;
  return canvas.toBuffer("image/png");
}

// ---------------------------------------------------------------------------------------------
// Text runs to words and lines

/** One pdfjs text item in page space (points, y down). */
interface Run {
  text: string;
  /** Baseline start. */
  x: number;
  y: number;
  /** Unit vector along the text, and unit vector towards the glyphs' tops. */
  dx: number;
  dy: number;
  ux: number;
  uy: number;
  size: number;
  length: number;
  ascent: number;
  descent: number;
  family: string;
}

interface TextItemLike {
  str: string;
  transform: number[];
  width: number;
  fontName: string;
}

function toRuns(lib: Pdfjs, text: { items: unknown[]; styles: Record<string, { fontFamily: string; ascent: number; descent: number }> }, viewportTransform: number[]): Run[] {
  const runs: Run[] = [];
  for (const raw of text.items) {
    const item = raw as TextItemLike;
    if (typeof item.str !== "string" || item.str.trim() === "") continue;
    const m = lib.Util.transform(viewportTransform, item.transform) as number[];
    const along = Math.hypot(m[0], m[1]);
    const size = Math.hypot(m[2], m[3]);
    if (along === 0 || size === 0) continue;
    const style = text.styles[item.fontName];
    const scaleAlong = along / Math.hypot(item.transform[0], item.transform[1]) || 1;
    runs.push({
      text: item.str,
      x: m[4],
      y: m[5],
      dx: m[0] / along,
      dy: m[1] / along,
      ux: m[2] / size,
      uy: m[3] / size,
      size,
      length: item.width * scaleAlong,
      ascent: Number.isFinite(style?.ascent) && style.ascent > 0 ? style.ascent : 0.9,
      descent: Number.isFinite(style?.descent) && style.descent < 0 ? -style.descent : 0.22,
      family: style?.fontFamily ?? "sans-serif",
    });
  }
  return runs;
}

interface PdfLine {
  runs: Run[];
  words: ExtractedWord[];
  polygon: number[];
  size: number;
}

/** Consecutive runs on the same baseline, close enough along it, form one line. */
function groupRunsIntoLines(runs: Run[]): PdfLine[] {
  const groups: Run[][] = [];
  for (const run of runs) {
    const current = groups.at(-1);
    const previous = current?.at(-1);
    if (current && previous && continuesLine(previous, run)) current.push(run);
    else groups.push([run]);
  }
  return groups.map(toLine);
}

function continuesLine(previous: Run, run: Run): boolean {
  if (previous.dx * run.dx + previous.dy * run.dy < 0.99) return false;
  const offX = run.x - previous.x;
  const offY = run.y - previous.y;
  // Distance from the previous baseline, and gap after the previous run's end.
  const across = Math.abs(offX * previous.ux + offY * previous.uy);
  const gap = offX * previous.dx + offY * previous.dy - previous.length;
  const size = Math.max(previous.size, run.size);
  return across < 0.35 * size && gap > -0.5 * size && gap < 1.5 * size;
}

function toLine(runs: Run[]): PdfLine {
  const words: ExtractedWord[] = [];
  let open = false;
  for (const [index, run] of runs.entries()) {
    const previous = runs[index - 1];
    if (previous) {
      const gap = (run.x - previous.x) * previous.dx + (run.y - previous.y) * previous.dy - previous.length;
      // A visible gap between runs separates words even without a space character.
      if (gap > 0.15 * run.size) open = false;
    }
    if (/^\s/.test(run.text)) open = false;
    const offsets = characterOffsets(run);
    for (const match of run.text.matchAll(/\S+/g)) {
      const start = offsets[match.index];
      const end = offsets[match.index + match[0].length];
      const polygon = runPolygon(run, start, end);
      const last = words.at(-1);
      if (open && match.index === 0 && last?.polygon) {
        // The word continues from the previous run (kerning or font changes split runs).
        last.text += match[0];
        last.polygon = [last.polygon[0], last.polygon[1], polygon[2], polygon[3], polygon[4], polygon[5], last.polygon[6], last.polygon[7]];
      } else {
        words.push({ text: match[0], polygon, confidence: 1 });
      }
    }
    open = /\S$/.test(run.text);
  }
  const first = words[0].polygon!;
  const last = words.at(-1)!.polygon!;
  const size = runs.reduce((max, run) => Math.max(max, run.size), 0);
  return { runs, words, polygon: [first[0], first[1], last[2], last[3], last[4], last[5], first[6], first[7]], size };
}

const measureContext = createCanvas(8, 8).getContext("2d");
const widthCache = new Map<string, number>();

/**
 * Where each character of a run starts along it (points), estimated from a similar font's
 * advance widths scaled to the run's real width: pdfjs gives the width of the whole run only.
 */
function characterOffsets(run: Run): number[] {
  const family = /mono|courier/i.test(run.family) ? "monospace" : /serif/i.test(run.family) && !/sans/i.test(run.family) ? "serif" : "sans-serif";
  // Monospaced fonts need no measuring (and the machine may have no monospace font).
  const advance = family === "monospace" ? () => 1 : (ch: string) => {
    const key = `${family}\u0000${ch}`;
    let width = widthCache.get(key);
    if (width === undefined) {
      measureContext.font = `100px ${family}`;
      width = measureContext.measureText(ch).width;
      widthCache.set(key, width);
    }
    return width;
  };
  const characters = run.text.split("");
  const widths = characters.map(advance);
  const total = widths.reduce((a, b) => a + b, 0) || characters.length;
  const scale = run.length / total;
  const offsets = [0];
  for (const width of widths) offsets.push(offsets.at(-1)! + (total === characters.length ? 1 : width) * scale);
  return offsets;
}

/** Polygon (inches) of the part of a run between two offsets along it, clockwise from top-left. */
function runPolygon(run: Run, start: number, end: number): number[] {
  const up = run.ascent * run.size;
  const down = run.descent * run.size;
  const point = (along: number, height: number) => [
    (run.x + run.dx * along + run.ux * height) / 72,
    (run.y + run.dy * along + run.uy * height) / 72,
  ];
  return [...point(start, up), ...point(end, up), ...point(end, -down), ...point(start, -down)];
}

/** The most common text direction, clockwise degrees. */
function dominantAngle(lines: PdfLine[]): number {
  const votes = new Map<number, number>();
  for (const line of lines) {
    const run = line.runs[0];
    const angle = Math.round((Math.atan2(run.dy, run.dx) * 180) / Math.PI);
    votes.set(angle, (votes.get(angle) ?? 0) + line.words.length);
  }
  let best = 0;
  let bestVotes = -1;
  for (const [angle, count] of votes) if (count > bestVotes) [best, bestVotes] = [angle, count];
  return best === -180 ? 180 : best;
}

/** Lines that follow each other closely, in the same size and direction, form a paragraph. */
function groupLinesIntoParagraphs(lines: PdfLine[]): ExtractedParagraph[] {
  const groups: PdfLine[][] = [];
  for (const line of lines) {
    const current = groups.at(-1);
    const previous = current?.at(-1);
    if (current && previous && continuesParagraph(previous, line)) current.push(line);
    else groups.push([line]);
  }
  return groups.map((group) => ({
    lines: group.map((line): ExtractedLine => ({ words: line.words, polygon: line.polygon })),
    textSize: group[0].size / 72,
  }));
}

function continuesParagraph(previous: PdfLine, line: PdfLine): boolean {
  const a = previous.runs[0];
  const b = line.runs[0];
  if (a.dx * b.dx + a.dy * b.dy < 0.99) return false;
  if (Math.abs(a.size - b.size) > 0.15 * Math.max(a.size, b.size)) return false;
  const offX = b.x - a.x;
  const offY = b.y - a.y;
  // Baseline advance (downwards = against the "up" vector) and shift of the left edge.
  const advance = -(offX * a.ux + offY * a.uy);
  const shift = offX * a.dx + offY * a.dy;
  return advance > 0.5 * a.size && advance < 1.8 * a.size && Math.abs(shift) < 3 * a.size;
}
