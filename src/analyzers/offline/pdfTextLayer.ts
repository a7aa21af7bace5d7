/**
 * A PDF page's text layer (pdfjs text items) as words, lines and paragraphs with positions in
 * inches, top-left origin, in the page's displayed orientation. Runs inside the PDF worker.
 */
import { createCanvas } from "@napi-rs/canvas";
import type { ExtractedLine, ExtractedParagraph, ExtractedWord } from "./extractedDocument.js";

type Pdfjs = typeof import("pdfjs-dist/legacy/build/pdf.mjs");

/** What pdfjs `getTextContent()` returns, as far as we read it. */
export interface PdfTextContent {
  items: unknown[];
  styles: Record<string, { fontFamily: string; ascent: number; descent: number }>;
}

/**
 * Paragraphs of the text layer and the dominant text direction, or undefined when the page has
 * no text (a scanned page).
 */
export function textLayerToParagraphs(lib: Pdfjs, text: PdfTextContent, viewportTransform: number[]): { angle: number; paragraphs: ExtractedParagraph[] } | undefined {
  const runs = toRuns(lib, text, viewportTransform);
  if (runs.length === 0) return undefined;
  const lines = groupRunsIntoLines(runs);
  return { angle: dominantAngle(lines), paragraphs: groupLinesIntoParagraphs(lines) };
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

function toRuns(lib: Pdfjs, text: PdfTextContent, viewportTransform: number[]): Run[] {
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
