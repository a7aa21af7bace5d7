/**
 * What a format reader extracts, before it becomes an `AnalyzeResult`: pages of paragraphs of
 * lines of words, with positions where the format has them. Offsets are computed later, in one
 * place (resultBuilder.ts), so every format gets the same content and span rules.
 */
export type ParagraphRole = "title" | "sectionHeading" | "pageHeader" | "pageFooter" | "pageNumber";

export interface ExtractedWord {
  text: string;
  /** 8 numbers, clockwise from the top-left corner, in the page's unit. */
  polygon?: number[];
  /** 0-1. */
  confidence: number;
}

export interface ExtractedLine {
  words: ExtractedWord[];
  polygon?: number[];
}

export interface ExtractedParagraph {
  lines: ExtractedLine[];
  role?: ParagraphRole;
  /** Heading level (1 = title) for markdown output, when the format says it. */
  headingLevel?: number;
  /** Text size in the page's unit, used to tell headings from body text. */
  textSize?: number;
}

export interface ExtractedPage {
  /** 1-based number in the original document (page selection keeps original numbers). */
  pageNumber: number;
  width?: number;
  height?: number;
  unit?: "inch" | "pixel";
  /** Clockwise rotation of the text, degrees in (-180, 180]. */
  angle?: number;
  paragraphs: ExtractedParagraph[];
  /** Why OCR could not read the page (it still has whatever text was recognized). */
  unreadable?: string;
}

export type TableCellKind = "columnHeader" | "rowHeader";

export interface ExtractedTableCell {
  rowIndex: number;
  columnIndex: number;
  rowSpan?: number;
  columnSpan?: number;
  kind?: TableCellKind;
  /** The page the cell is on (a table may continue on the next page). */
  pageNumber: number;
  /** The cell's text: paragraphs that are also in its page's `paragraphs`, in order; none for an empty cell. */
  paragraphs: ExtractedParagraph[];
  polygon?: number[];
}

/** A table's grid over paragraphs of one or more consecutive pages, row by row. */
export interface ExtractedTable {
  rowCount: number;
  columnCount: number;
  cells: ExtractedTableCell[];
  /** The table's outline on each page it covers, when the format has positions. */
  regions?: { pageNumber: number; polygon: number[] }[];
}

export interface ExtractedDocument {
  pages: ExtractedPage[];
  /** Tables, in reading order; their cells' paragraphs are in the pages' paragraphs. */
  tables?: ExtractedTable[];
}

/** The bounding rectangle of some polygons, as a polygon (clockwise from top-left). */
export function boundingPolygon(polygons: readonly (readonly number[] | undefined)[]): number[] | undefined {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const polygon of polygons) {
    if (!polygon) continue;
    for (let i = 0; i < polygon.length; i += 2) {
      minX = Math.min(minX, polygon[i]);
      maxX = Math.max(maxX, polygon[i]);
      minY = Math.min(minY, polygon[i + 1]);
      maxY = Math.max(maxY, polygon[i + 1]);
    }
  }
  if (!Number.isFinite(minX)) return undefined;
  return [minX, minY, maxX, minY, maxX, maxY, minX, maxY];
}

/** A rectangle as a polygon, clockwise from top-left. */
export function rectanglePolygon(left: number, top: number, right: number, bottom: number): number[] {
  return [left, top, right, top, right, bottom, left, bottom];
}

/** Rounds coordinates to 4 decimals: enough for inches and pixels, and smaller JSON. */
export function roundPolygon(polygon: number[]): number[] {
  return polygon.map((value) => Math.round(value * 10_000) / 10_000);
}
