/** The Document Intelligence `AnalyzeResult` wire shape (api-version 2024-11-30), as far as docbatch produces it. */
export type StringIndexType = "textElements" | "unicodeCodePoint" | "utf16CodeUnit";
export type ContentFormat = "text" | "markdown";

export interface DocumentSpan {
  offset: number;
  length: number;
}

export interface DocumentWord {
  content: string;
  polygon?: number[];
  confidence: number;
  span: DocumentSpan;
}

export interface DocumentLine {
  content: string;
  polygon?: number[];
  spans: DocumentSpan[];
}

export interface DocumentPage {
  pageNumber: number;
  angle?: number;
  width?: number;
  height?: number;
  unit?: "inch" | "pixel";
  spans: DocumentSpan[];
  words?: DocumentWord[];
  lines?: DocumentLine[];
}

export interface BoundingRegion {
  pageNumber: number;
  polygon: number[];
}

export interface DocumentParagraph {
  role?: string;
  content: string;
  boundingRegions?: BoundingRegion[];
  spans: DocumentSpan[];
}

export interface DocumentTableCell {
  kind?: "columnHeader" | "rowHeader";
  rowIndex: number;
  columnIndex: number;
  rowSpan?: number;
  columnSpan?: number;
  content: string;
  boundingRegions?: BoundingRegion[];
  spans: DocumentSpan[];
  /** JSON pointers to the paragraphs holding the cell's text ("/paragraphs/3"). */
  elements?: string[];
}

export interface DocumentTable {
  rowCount: number;
  columnCount: number;
  cells: DocumentTableCell[];
  boundingRegions?: BoundingRegion[];
  spans: DocumentSpan[];
}

/** Document Intelligence's `warnings[]` entry: the analysis succeeded, but something in it is doubtful. */
export interface AnalyzeWarning {
  code: string;
  message: string;
  /** JSON pointer into the result, e.g. "/pages/0". */
  target?: string;
}

/** The `warnings[].code` of a page the offline reader's OCR could not read (scanned noise, an unreadable photo). */
export const UNREADABLE_PAGE_WARNING = "PageNotReadable";

export interface AnalyzeResult {
  apiVersion: string;
  modelId: string;
  stringIndexType: StringIndexType;
  content: string;
  contentFormat?: ContentFormat;
  pages: DocumentPage[];
  paragraphs?: DocumentParagraph[];
  tables?: DocumentTable[];
  styles?: unknown[];
  languages?: unknown[];
  documents?: unknown[];
  warnings?: AnalyzeWarning[];
  [extra: string]: unknown;
}

export const ANALYZE_API_VERSION = "2024-11-30";
