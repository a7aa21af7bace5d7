import { convert, type FormatCallback } from "html-to-text";
import type { ExtractedDocument, ExtractedParagraph, ExtractedTable } from "./extractedDocument.js";
import { htmlTableGrid, type HtmlTableGrid } from "./htmlTableGrid.js";
import { textToDocument } from "./textBlocks.js";

/** Headings become "#" lines so that textToDocument can give them their roles. */
const heading =
  (level: number): FormatCallback =>
  (element, walk, builder) => {
    builder.openBlock({ leadingLineBreaks: 2 });
    builder.addInline(`${"#".repeat(level)} `);
    walk(element.children, builder);
    builder.closeBlock({ trailingLineBreaks: 2 });
  };

/*
 * Tables: each cell's text is its own block, opened by a marker naming the table and cell, and
 * the table is closed by an end marker; the markers (private-use characters, which no text
 * holds) are taken out again once the text is split into paragraphs.
 */
const CELL_MARK = /^\uE000(\d+)\.(\d+)\uE001/;
const END_MARK = "\uE002";

const table =
  (grids: HtmlTableGrid[]): FormatCallback =>
  (element, walk, builder) => {
    const caption = element.children.find((child) => child.type === "tag" && child.name === "caption");
    if (caption) {
      builder.openBlock({ leadingLineBreaks: 2 });
      walk(caption.children, builder);
      builder.closeBlock({ trailingLineBreaks: 2 });
    }
    const grid = htmlTableGrid(element);
    const id = grids.push(grid) - 1;
    for (const [index, cell] of grid.cells.entries()) {
      builder.openBlock({ leadingLineBreaks: 2 });
      builder.addLiteral(`\uE000${id}.${index}\uE001`);
      walk(cell.element.children, builder);
      builder.closeBlock({ trailingLineBreaks: 2 });
    }
    builder.openBlock({ leadingLineBreaks: 2 });
    builder.addLiteral(END_MARK);
    builder.closeBlock({ trailingLineBreaks: 2 });
  };

/** HTML to one page of paragraphs and its tables (scripts, styles and the head are dropped). */
export function readHtml(html: string): ExtractedDocument {
  const grids: HtmlTableGrid[] = [];
  const text = convert(html, {
    wordwrap: false,
    formatters: { ...Object.fromEntries([1, 2, 3, 4, 5, 6].map((level) => [`heading${level}`, heading(level)])), table: table(grids) },
    selectors: [
      ...[1, 2, 3, 4, 5, 6].map((level) => ({ selector: `h${level}`, format: `heading${level}` })),
      { selector: "a", options: { ignoreHref: true } },
      { selector: "img", format: "skip" },
      { selector: "table", format: "table" },
    ],
  });
  const document = textToDocument(text, { headings: true });
  if (grids.length === 0) return document;
  const page = document.pages[0];
  const { paragraphs, tables } = collectTables(page.paragraphs, grids);
  page.paragraphs = paragraphs;
  return { ...document, tables };
}

/** Takes the markers out of the paragraphs and gives each table's cells their paragraphs. */
function collectTables(marked: ExtractedParagraph[], grids: HtmlTableGrid[]): { paragraphs: ExtractedParagraph[]; tables: ExtractedTable[] } {
  const tables: ExtractedTable[] = grids.map((grid) => ({
    rowCount: grid.rowCount,
    columnCount: grid.columnCount,
    cells: grid.cells.map((cell) => ({
      rowIndex: cell.rowIndex,
      columnIndex: cell.columnIndex,
      ...(cell.rowSpan > 1 ? { rowSpan: cell.rowSpan } : {}),
      ...(cell.columnSpan > 1 ? { columnSpan: cell.columnSpan } : {}),
      ...(cell.kind ? { kind: cell.kind } : {}),
      pageNumber: 1,
      paragraphs: [],
    })),
  }));
  const paragraphs: ExtractedParagraph[] = [];
  let cell: ExtractedTable["cells"][number] | undefined;
  for (const paragraph of marked) {
    const first = paragraph.lines[0]?.words[0];
    const mark = first ? CELL_MARK.exec(first.text) : null;
    if (first?.text === END_MARK && paragraph.lines.length === 1 && paragraph.lines[0].words.length === 1) {
      cell = undefined;
      continue;
    }
    if (mark && first) {
      cell = tables[Number(mark[1])]?.cells[Number(mark[2])];
      first.text = first.text.slice(mark[0].length);
      if (!first.text) paragraph.lines[0].words.shift();
      paragraph.lines = paragraph.lines.filter((line) => line.words.length > 0);
      if (paragraph.lines.length === 0) continue;
    }
    cell?.paragraphs.push(paragraph);
    paragraphs.push(paragraph);
  }
  // A table's cells are one block of the page: a heading inside a cell is cell text.
  for (const table of tables) for (const tableCell of table.cells) for (const p of tableCell.paragraphs) delete p.role;
  return { paragraphs, tables: tables.filter((t) => t.cells.length > 0) };
}

