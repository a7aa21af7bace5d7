/**
 * Turns an extracted document into the service's `AnalyzeResult`: one `content` string, and
 * spans of pages, lines, words, paragraphs and tables into it, in the requested string index unit.
 *
 * Text content follows the read model: lines separated by "\n", pages by "\n"; a table's cells
 * follow each other row by row. Markdown content follows the layout model: paragraphs separated
 * by a blank line, headings as "#" lines, tables as HTML `<table>` blocks, pages separated by a
 * `<!-- PageBreak -->` comment.
 */
import {
  ANALYZE_API_VERSION,
  type AnalyzeResult,
  type AnalyzeWarning,
  type BoundingRegion,
  type ContentFormat,
  type DocumentLine,
  type DocumentPage,
  type DocumentParagraph,
  type DocumentSpan,
  type DocumentTable,
  type DocumentWord,
  type StringIndexType,
  UNREADABLE_PAGE_WARNING,
} from "../analyzeResult.js";
import {
  boundingPolygon,
  roundPolygon,
  type ExtractedDocument,
  type ExtractedPage,
  type ExtractedParagraph,
  type ExtractedTable,
  type ExtractedTableCell,
} from "./extractedDocument.js";
import { StringIndexConverter } from "./stringIndex.js";

export interface BuildOptions {
  modelId: string;
  stringIndexType: StringIndexType;
  outputContentFormat: ContentFormat;
  /** Layout models report paragraph roles. */
  withRoles: boolean;
  /** Layout models report tables; without, table cells are plain paragraphs. */
  withTables?: boolean;
}

/** Where a paragraph landed in `content` (UTF-16 offsets) and in `paragraphs`. */
interface Placed {
  span: DocumentSpan;
  index: number;
  pageNumber: number;
  polygon?: number[];
}

export function buildAnalyzeResult(document: ExtractedDocument, options: BuildOptions): AnalyzeResult {
  const markdown = options.outputContentFormat === "markdown";
  const tables = options.withTables ? (document.tables ?? []) : [];
  const tableOf = new Map<ExtractedParagraph, ExtractedTable>();
  for (const table of tables) for (const cell of table.cells) for (const paragraph of cell.paragraphs) tableOf.set(paragraph, table);

  let content = "";
  const pages: DocumentPage[] = [];
  const paragraphs: DocumentParagraph[] = [];
  const placed = new Map<ExtractedParagraph, Placed>();
  const tableParts = new Map<ExtractedTable, DocumentSpan[]>();

  for (const [pageIndex, page] of document.pages.entries()) {
    if (pageIndex > 0) content += markdown ? "\n\n<!-- PageBreak -->\n\n" : "\n";
    const pageStart = content.length;
    const words: DocumentWord[] = [];
    const lines: DocumentLine[] = [];

    const emitParagraph = (paragraph: ExtractedParagraph) => {
      const paragraphStart = content.length;
      if (markdown && !tableOf.has(paragraph)) content += markdownPrefix(paragraph);
      for (const [lineIndex, line] of paragraph.lines.entries()) {
        if (lineIndex > 0) content += "\n";
        const lineStart = content.length;
        for (const [wordIndex, word] of line.words.entries()) {
          if (wordIndex > 0) content += " ";
          // Words are not markdown-escaped, so every word span reads back the word itself.
          words.push({
            content: word.text,
            ...(word.polygon ? { polygon: roundPolygon(word.polygon) } : {}),
            confidence: round3(word.confidence),
            span: { offset: content.length, length: word.text.length },
          });
          content += word.text;
        }
        lines.push({
          content: line.words.map((word) => word.text).join(" "),
          ...(line.polygon ? { polygon: roundPolygon(line.polygon) } : {}),
          spans: [{ offset: lineStart, length: content.length - lineStart }],
        });
      }
      if (markdown && !tableOf.has(paragraph)) content += markdownSuffix(paragraph);
      const polygon = boundingPolygon(paragraph.lines.map((line) => line.polygon));
      const span = { offset: paragraphStart, length: content.length - paragraphStart };
      placed.set(paragraph, { span, index: paragraphs.length, pageNumber: page.pageNumber, polygon });
      paragraphs.push({
        ...(options.withRoles && paragraph.role ? { role: paragraph.role } : {}),
        content: content.slice(paragraphStart),
        ...(polygon ? { boundingRegions: [{ pageNumber: page.pageNumber, polygon: roundPolygon(polygon) }] } : {}),
        spans: [span],
      });
    };

    const emitTablePart = (table: ExtractedTable) => {
      const start = content.length;
      const cells = table.cells.filter((cell) => cell.pageNumber === page.pageNumber);
      if (markdown) {
        content += "<table>";
        for (const row of rowsOf(cells)) {
          content += "\n<tr>";
          for (const cell of row) {
            const tag = cell.kind === "columnHeader" || cell.kind === "rowHeader" ? "th" : "td";
            const spans = `${cell.rowSpan && cell.rowSpan > 1 ? ` rowspan="${cell.rowSpan}"` : ""}${cell.columnSpan && cell.columnSpan > 1 ? ` colspan="${cell.columnSpan}"` : ""}`;
            content += `\n<${tag}${spans}>`;
            cell.paragraphs.forEach((paragraph, index) => {
              if (index > 0) content += "\n";
              emitParagraph(paragraph);
            });
            content += `</${tag}>`;
          }
          content += "\n</tr>";
        }
        content += "\n</table>";
      } else {
        let first = true;
        for (const cell of cells) {
          for (const paragraph of cell.paragraphs) {
            if (!first) content += "\n";
            first = false;
            emitParagraph(paragraph);
          }
        }
      }
      const parts = tableParts.get(table) ?? [];
      parts.push({ offset: start, length: content.length - start });
      tableParts.set(table, parts);
    };

    let firstBlock = true;
    const tablesDone = new Set<ExtractedTable>();
    for (const paragraph of page.paragraphs) {
      const table = tableOf.get(paragraph);
      if (table && tablesDone.has(table)) continue;
      if (!firstBlock) content += markdown ? "\n\n" : "\n";
      firstBlock = false;
      if (table) {
        tablesDone.add(table);
        emitTablePart(table);
      } else {
        emitParagraph(paragraph);
      }
    }
    pages.push({
      pageNumber: page.pageNumber,
      angle: page.angle ?? 0,
      ...(page.width !== undefined ? { width: round4(page.width), height: round4(page.height ?? 0), unit: page.unit } : {}),
      spans: [{ offset: pageStart, length: content.length - pageStart }],
      words,
      lines,
    });
  }

  const documentTables = tables.filter((table) => tableParts.has(table)).map((table) => toDocumentTable(table, tableParts.get(table)!, placed, content));

  const converter = new StringIndexConverter(content, options.stringIndexType);
  const convert = (span: DocumentSpan) => converter.span(span);
  for (const page of pages) {
    page.spans = page.spans.map(convert);
    for (const word of page.words ?? []) word.span = convert(word.span);
    for (const line of page.lines ?? []) line.spans = line.spans.map(convert);
  }
  for (const paragraph of paragraphs) paragraph.spans = paragraph.spans.map(convert);
  for (const table of documentTables) {
    table.spans = table.spans.map(convert);
    for (const cell of table.cells) cell.spans = cell.spans.map(convert);
  }

  const warnings = unreadablePageWarnings(document.pages);
  return {
    apiVersion: ANALYZE_API_VERSION,
    modelId: options.modelId,
    stringIndexType: options.stringIndexType,
    content,
    contentFormat: options.outputContentFormat,
    pages,
    paragraphs,
    ...(options.withTables ? { tables: documentTables } : {}),
    ...(warnings.length ? { warnings } : {}),
  };
}

function toDocumentTable(table: ExtractedTable, parts: DocumentSpan[], placed: Map<ExtractedParagraph, Placed>, content: string): DocumentTable {
  const cells = table.cells.map((cell) => {
    const where = cell.paragraphs.map((paragraph) => placed.get(paragraph)!).filter(Boolean);
    const span = where.length ? { offset: where[0].span.offset, length: where.at(-1)!.span.offset + where.at(-1)!.span.length - where[0].span.offset } : undefined;
    const polygon = cell.polygon ?? boundingPolygon(where.map((place) => place.polygon));
    return {
      ...(cell.kind ? { kind: cell.kind } : {}),
      rowIndex: cell.rowIndex,
      columnIndex: cell.columnIndex,
      ...(cell.rowSpan && cell.rowSpan > 1 ? { rowSpan: cell.rowSpan } : {}),
      ...(cell.columnSpan && cell.columnSpan > 1 ? { columnSpan: cell.columnSpan } : {}),
      content: span ? content.slice(span.offset, span.offset + span.length) : "",
      ...(polygon ? { boundingRegions: [{ pageNumber: cell.pageNumber, polygon: roundPolygon(polygon) }] } : {}),
      spans: span ? [span] : [],
      ...(where.length ? { elements: where.map((place) => `/paragraphs/${place.index}`) } : {}),
    };
  });
  return {
    rowCount: table.rowCount,
    columnCount: table.columnCount,
    cells,
    ...regionsOf(table),
    spans: parts,
  };
}

/** The table's outline on each page: given by the reader, or around its cells. */
function regionsOf(table: ExtractedTable): { boundingRegions?: BoundingRegion[] } {
  if (table.regions?.length) return { boundingRegions: table.regions.map((region) => ({ pageNumber: region.pageNumber, polygon: roundPolygon(region.polygon) })) };
  const regions: BoundingRegion[] = [];
  for (const pageNumber of new Set(table.cells.map((cell) => cell.pageNumber))) {
    const polygon = boundingPolygon(table.cells.filter((cell) => cell.pageNumber === pageNumber).map((cell) => cell.polygon ?? boundingPolygon(cell.paragraphs.flatMap((p) => p.lines.map((line) => line.polygon)))));
    if (polygon) regions.push({ pageNumber, polygon: roundPolygon(polygon) });
  }
  return regions.length ? { boundingRegions: regions } : {};
}

function rowsOf(cells: ExtractedTableCell[]): ExtractedTableCell[][] {
  const rows = new Map<number, ExtractedTableCell[]>();
  for (const cell of cells) rows.set(cell.rowIndex, [...(rows.get(cell.rowIndex) ?? []), cell]);
  return [...rows.keys()].sort((a, b) => a - b).map((row) => rows.get(row)!.sort((a, b) => a.columnIndex - b.columnIndex));
}

function unreadablePageWarnings(pages: readonly ExtractedPage[]): AnalyzeWarning[] {
  return pages.flatMap((page, index) =>
    page.unreadable
      ? [{ code: UNREADABLE_PAGE_WARNING, message: `Page ${page.pageNumber} could not be read reliably: ${page.unreadable}. Its text may be missing or wrong.`, target: `/pages/${index}` }]
      : [],
  );
}

/** Running heads are HTML comments in the layout model's markdown, as Document Intelligence writes them. */
const MARKDOWN_COMMENT_ROLES: Partial<Record<string, string>> = { pageHeader: "PageHeader", pageFooter: "PageFooter", pageNumber: "PageNumber" };

function markdownSuffix(paragraph: ExtractedParagraph): string {
  return paragraph.role && MARKDOWN_COMMENT_ROLES[paragraph.role] ? '" -->' : "";
}

function markdownPrefix(paragraph: ExtractedParagraph): string {
  const comment = paragraph.role && MARKDOWN_COMMENT_ROLES[paragraph.role];
  if (comment) return `<!-- ${comment}="`;
  if (paragraph.role === "title") return "# ";
  if (paragraph.role === "sectionHeading") return `${"#".repeat(Math.min(6, Math.max(2, paragraph.headingLevel ?? 2)))} `;
  return "";
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;
const round4 = (value: number) => Math.round(value * 10_000) / 10_000;
