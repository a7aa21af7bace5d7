/**
 * The grid of an HTML `<table>`: which cell sits at which row and column, with `rowspan` and
 * `colspan` placed as browsers do (a cell takes the first column its row has free). Header
 * cells: every cell of `<thead>`, and `<th>` rows; other `<th>` cells head their row.
 */
import type { DomNode } from "html-to-text";
import type { TableCellKind } from "./extractedDocument.js";

export interface HtmlTableCell {
  element: DomNode;
  rowIndex: number;
  columnIndex: number;
  rowSpan: number;
  columnSpan: number;
  kind?: TableCellKind;
}

export interface HtmlTableGrid {
  rowCount: number;
  columnCount: number;
  /** Row by row, left to right. */
  cells: HtmlTableCell[];
}

/** Browsers cap spans at these; a larger value is a mistake, not a table that size. */
const MAX_COLSPAN = 1000;
const MAX_ROWSPAN = 65534;

export function htmlTableGrid(table: DomNode): HtmlTableGrid {
  const rows = rowsOf(table);
  const taken: boolean[][] = rows.map(() => []);
  const cells: HtmlTableCell[] = [];
  let columnCount = 0;
  for (const [rowIndex, row] of rows.entries()) {
    const rowCells = childElements(row.element).filter((child) => child.name === "td" || child.name === "th");
    const headerRow = row.inHead || (rowCells.length > 0 && rowCells.every((cell) => cell.name === "th"));
    let column = 0;
    for (const element of rowCells) {
      while (taken[rowIndex][column]) column++;
      const rowSpanValue = spanAttribute(element, "rowspan", MAX_ROWSPAN);
      // rowspan="0" spans the rest of the row group: here, the rest of the table.
      const rowSpan = Math.min(rowSpanValue === 0 ? rows.length - rowIndex : rowSpanValue, rows.length - rowIndex);
      const columnSpan = Math.max(1, spanAttribute(element, "colspan", MAX_COLSPAN));
      for (let r = rowIndex; r < rowIndex + rowSpan; r++) for (let c = column; c < column + columnSpan; c++) taken[r][c] = true;
      const kind: TableCellKind | undefined = headerRow ? "columnHeader" : element.name === "th" ? "rowHeader" : undefined;
      cells.push({ element, rowIndex, columnIndex: column, rowSpan, columnSpan, ...(kind ? { kind } : {}) });
      column += columnSpan;
      columnCount = Math.max(columnCount, column);
    }
  }
  return { rowCount: rows.length, columnCount, cells };
}

function rowsOf(table: DomNode): { element: DomNode; inHead: boolean }[] {
  const rows: { element: DomNode; inHead: boolean }[] = [];
  for (const child of childElements(table)) {
    if (child.name === "tr") rows.push({ element: child, inHead: false });
    else if (child.name === "thead" || child.name === "tbody" || child.name === "tfoot") {
      for (const row of childElements(child)) if (row.name === "tr") rows.push({ element: row, inHead: child.name === "thead" });
    }
  }
  return rows;
}

function childElements(node: DomNode): DomNode[] {
  return (node.children ?? []).filter((child) => child.type === "tag");
}

function spanAttribute(element: DomNode, name: string, max: number): number {
  const value = Number.parseInt(String(element.attribs?.[name] ?? "1"), 10);
  return Number.isFinite(value) && value >= 0 ? Math.min(value, max) : 1;
}
