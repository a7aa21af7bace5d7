/**
 * A table that ends a page and one that starts the next page, with the same columns in the
 * same places, are one table broken by the page: the second one's rows are appended to the
 * first, which then has a region (and a span) on each page.
 */
import type { ExtractedPage, ExtractedParagraph, ExtractedTable } from "./extractedDocument.js";

/** Top and bottom share of a page where running headers and footers sit. */
const MARGIN_BAND = 0.1;

export function joinContinuedTables(pages: readonly ExtractedPage[], tables: readonly ExtractedTable[]): ExtractedTable[] {
  const inTable = new Set<ExtractedParagraph>(tables.flatMap((table) => table.cells.flatMap((cell) => cell.paragraphs)));
  const pageOf = new Map(pages.map((page) => [page.pageNumber, page]));
  const result: ExtractedTable[] = [];
  for (const table of tables) {
    const previous = result.at(-1);
    if (previous && continues(previous, table, pageOf, inTable)) {
      for (const cell of table.cells) previous.cells.push({ ...cell, rowIndex: cell.rowIndex + previous.rowCount, kind: cell.kind });
      previous.rowCount += table.rowCount;
      previous.regions = [...(previous.regions ?? []), ...(table.regions ?? [])];
    } else {
      result.push({ ...table, cells: [...table.cells], regions: [...(table.regions ?? [])] });
    }
  }
  return result;
}

function continues(first: ExtractedTable, next: ExtractedTable, pageOf: Map<number, ExtractedPage>, inTable: Set<ExtractedParagraph>): boolean {
  const end = first.regions?.at(-1);
  const start = next.regions?.[0];
  if (!end || !start || start.pageNumber !== end.pageNumber + 1 || first.columnCount !== next.columnCount) return false;
  const endPage = pageOf.get(end.pageNumber);
  const startPage = pageOf.get(start.pageNumber);
  if (!endPage?.height || !startPage?.height) return false;
  const [, , , bottom] = extent(end.polygon);
  const [, top] = extent(start.polygon);
  // Nothing but running footers below the first part, nothing but running headers above the next.
  const below = endPage.paragraphs.some((p) => !inTable.has(p) && paragraphTop(p) > bottom && paragraphTop(p) < endPage.height! * (1 - MARGIN_BAND));
  const above = startPage.paragraphs.some((p) => !inTable.has(p) && paragraphBottom(p) < top && paragraphBottom(p) > startPage.height! * MARGIN_BAND);
  if (below || above) return false;
  // The same columns: each column of one overlaps the same column of the other for most of its width.
  for (let column = 0; column < first.columnCount; column++) {
    const a = columnExtent(first, column, end.pageNumber);
    const b = columnExtent(next, column, start.pageNumber);
    if (!a || !b) return false;
    const overlap = Math.min(a[1], b[1]) - Math.max(a[0], b[0]);
    if (overlap < 0.5 * Math.min(a[1] - a[0], b[1] - b[0])) return false;
  }
  return true;
}

function columnExtent(table: ExtractedTable, column: number, pageNumber: number): [number, number] | undefined {
  const cells = table.cells.filter((cell) => cell.columnIndex === column && !cell.columnSpan && cell.pageNumber === pageNumber && cell.polygon);
  if (cells.length === 0) return undefined;
  const extents = cells.map((cell) => extent(cell.polygon!));
  return [Math.min(...extents.map((e) => e[0])), Math.max(...extents.map((e) => e[2]))];
}

/** [left, top, right, bottom] of a polygon. */
function extent(polygon: readonly number[]): [number, number, number, number] {
  const xs = polygon.filter((_, i) => i % 2 === 0);
  const ys = polygon.filter((_, i) => i % 2 === 1);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

const paragraphTop = (p: ExtractedParagraph) => Math.min(...p.lines.flatMap((line) => (line.polygon ? [extent(line.polygon)[1]] : [Infinity])));
const paragraphBottom = (p: ExtractedParagraph) => Math.max(...p.lines.flatMap((line) => (line.polygon ? [extent(line.polygon)[3]] : [-Infinity])));
