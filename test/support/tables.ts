/**
 * Documents holding known tables, generated on the fly, and the grid a reader should find in
 * them: DOCX (docx), HTML, and text-layer PDFs (pdf-lib) with ruled or borderless tables, a
 * table running on over the next page. The first row is the header.
 */
import { createCanvas } from "@napi-rs/canvas";
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, VerticalMergeType, WidthType } from "docx";
import { PDFDocument, StandardFonts, rgb } from "pdf-lib";

/** A rectangular table of text; `rows[0]` is the header row. */
export type TableText = readonly (readonly string[])[];

export interface ExpectedCell {
  rowIndex: number;
  columnIndex: number;
  content: string;
  header: boolean;
}

export const INVOICE_TABLE: TableText = [
  ["Item", "Quantity", "Unit price", "Total"],
  ["Copy paper A4", "10", "4.50", "45.00"],
  ["Stapler", "2", "12.00", "24.00"],
  ["Blue pens (box)", "5", "3.20", "16.00"],
  ["Archive folders", "20", "1.10", "22.00"],
];

/** A table of `rows` body rows (plus the header), for long and multi-page tables. */
export function numberedTable(rows: number, seed = 1): TableText {
  const body = Array.from({ length: rows }, (_, i) => [`Order ${1000 + seed * 100 + i}`, `Customer ${String.fromCharCode(65 + ((i * 7 + seed) % 26))}${i}`, `${(i * 37 + seed) % 90 + 10}`, (((i * 131 + seed * 17) % 9000) / 100 + 5).toFixed(2)]);
  return [["Order", "Customer", "Items", "Amount"], ...body];
}

export function expectedCells(table: TableText): ExpectedCell[] {
  return table.flatMap((row, rowIndex) => row.map((content, columnIndex) => ({ rowIndex, columnIndex, content, header: rowIndex === 0 })));
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function makeTableHtml(table: TableText, options: { title?: string } = {}): Uint8Array {
  const [header, ...body] = table;
  const html = `<!DOCTYPE html><html><body>${options.title ? `<h1>${escapeHtml(options.title)}</h1>` : ""}<p>The table below lists the items.</p>
<table><thead><tr>${header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join("")}</tr></thead>
<tbody>${body.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`).join("\n")}</tbody></table><p>End of the list.</p></body></html>`;
  return new TextEncoder().encode(html);
}

export async function makeTableDocx(table: TableText, options: { title?: string } = {}): Promise<Uint8Array> {
  const rows = table.map(
    (row, rowIndex) =>
      new TableRow({ ...(rowIndex === 0 ? { tableHeader: true } : {}), children: row.map((text) => new TableCell({ children: [new Paragraph(text)], width: { size: 2000, type: WidthType.DXA } })) }),
  );
  const children = [
    ...(options.title ? [new Paragraph({ text: options.title, heading: HeadingLevel.TITLE })] : []),
    new Paragraph("The table below lists the items."),
    new Table({ rows }),
    new Paragraph("End of the list."),
  ];
  return new Uint8Array(await Packer.toBuffer(new Document({ sections: [{ children }] })));
}

/**
 * A DOCX table with merged cells: "Region" spans two rows down, "Sales" two columns across.
 *   Region | Sales (2 columns)
 *   (Region) | Q1 | Q2
 *   North | 10 | 12
 *   South | 7  | 9
 */
export async function makeMergedDocx(): Promise<Uint8Array> {
  const cell = (text: string, extra: Partial<ConstructorParameters<typeof TableCell>[0]> = {}) => new TableCell({ children: [new Paragraph(text)], ...extra });
  const rows = [
    new TableRow({ tableHeader: true, children: [cell("Region", { verticalMerge: VerticalMergeType.RESTART }), cell("Sales", { columnSpan: 2 })] }),
    new TableRow({ tableHeader: true, children: [cell("", { verticalMerge: VerticalMergeType.CONTINUE }), cell("Q1"), cell("Q2")] }),
    new TableRow({ children: [cell("North"), cell("10"), cell("12")] }),
    new TableRow({ children: [cell("South"), cell("7"), cell("9")] }),
  ];
  return new Uint8Array(await Packer.toBuffer(new Document({ sections: [{ children: [new Table({ rows })] }] })));
}

export interface TablePdfOptions {
  /** Ruled: every cell boxed by drawn lines; borderless: text in columns only. */
  style: "ruled" | "borderless";
  /** Body rows per page; the table continues on the next page (header not repeated). Default: all on one page. */
  rowsPerPage?: number;
  /** Draw the rules as thin filled rectangles instead of stroked lines (as many PDF writers do). */
  rulesAsRectangles?: boolean;
}

const COLUMN_WIDTHS = [160, 110, 80, 90];
const ROW_HEIGHT = 20;

/** A text-layer PDF with the table under a line of text; pages are US Letter. */
export async function makeTablePdf(table: TableText, options: TablePdfOptions): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  const [header, ...body] = table;
  const perPage = options.rowsPerPage ?? body.length;
  const chunks: (readonly string[])[][] = [];
  for (let i = 0; i < body.length; i += perPage) chunks.push(body.slice(i, i + perPage));
  const left = 72;
  for (const [chunkIndex, chunk] of chunks.entries()) {
    const page = pdf.addPage([612, 792]);
    let top = 792 - 72;
    if (chunkIndex === 0) {
      page.drawText("The table below lists the orders of the month.", { x: left, y: top - 12, size: 11, font });
      top -= 40;
    }
    const rows = chunkIndex === 0 ? [header, ...chunk] : chunk;
    const width = COLUMN_WIDTHS.reduce((a, b) => a + b, 0);
    rows.forEach((row, r) => {
      const rowTop = top - r * ROW_HEIGHT;
      let x = left;
      row.forEach((text, c) => {
        const isHeader = chunkIndex === 0 && r === 0;
        page.drawText(text, { x: x + 5, y: rowTop - 14, size: 10, font: isHeader ? bold : font });
        x += COLUMN_WIDTHS[c];
      });
    });
    if (options.style === "ruled") {
      const bottom = top - rows.length * ROW_HEIGHT;
      const line = (x1: number, y1: number, x2: number, y2: number) => {
        if (options.rulesAsRectangles) {
          page.drawRectangle({ x: Math.min(x1, x2) - 0.4, y: Math.min(y1, y2) - 0.4, width: Math.abs(x2 - x1) + 0.8, height: Math.abs(y2 - y1) + 0.8, color: rgb(0, 0, 0) });
        } else {
          page.drawLine({ start: { x: x1, y: y1 }, end: { x: x2, y: y2 }, thickness: 0.8, color: rgb(0, 0, 0) });
        }
      };
      for (let r = 0; r <= rows.length; r++) line(left, top - r * ROW_HEIGHT, left + width, top - r * ROW_HEIGHT);
      let x = left;
      for (let c = 0; c <= COLUMN_WIDTHS.length; c++) {
        line(x, top, x, bottom);
        x += COLUMN_WIDTHS[c] ?? 0;
      }
    }
  }
  return pdf.save();
}

/**
 * A ruled PDF table with merged cells, drawn rule by rule (a merged cell is one without the
 * rule between its parts):
 *   Region | Sales (2 columns)
 *   North (2 rows) | 10 | 12
 *   (North) | 11 | 13
 */
export async function makeMergedRuledPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const page = pdf.addPage([612, 792]);
  const xs = [72, 200, 300, 400];
  const ys = [700, 680, 660, 640];
  const line = (x1: number, y1: number, x2: number, y2: number) => page.drawLine({ start: { x: x1, y: y1 }, end: { x: x2, y: y2 }, thickness: 0.8, color: rgb(0, 0, 0) });
  for (const y of [ys[0], ys[1], ys[3]]) line(xs[0], y, xs[3], y);
  line(xs[1], ys[2], xs[3], ys[2]);
  for (const x of [xs[0], xs[1], xs[3]]) line(x, ys[0], x, ys[3]);
  line(xs[2], ys[1], xs[2], ys[3]);
  const text = (value: string, column: number, row: number) => page.drawText(value, { x: xs[column] + 5, y: ys[row] - 14, size: 10, font });
  text("Region", 0, 0);
  text("Sales", 1, 0);
  text("North", 0, 1);
  text("10", 1, 1);
  text("12", 2, 1);
  text("11", 1, 2);
  text("13", 2, 2);
  return pdf.save();
}

/** A scan of a table: black text and (ruled) 2-pixel rules on white, at `dpi`, with a line of text above. PNG. */
export function renderTablePng(table: TableText, options: { dpi?: number; ruled: boolean }): Buffer {
  const dpi = options.dpi ?? 300;
  const inch = (value: number) => Math.round(value * dpi);
  const widths = COLUMN_WIDTHS.map((points) => inch(points / 72));
  const rowHeight = inch(0.32);
  const margin = inch(0.6);
  const top = margin + inch(0.5);
  const width = margin * 2 + widths.reduce((a, b) => a + b, 0);
  const height = top + rowHeight * table.length + margin;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#000000";
  const fontPx = (11 * dpi) / 72;
  ctx.font = `${fontPx}px sans-serif`;
  ctx.fillText("The table below lists the orders of the month.", margin, margin + fontPx);
  table.forEach((row, r) => {
    let x = margin;
    row.forEach((text, c) => {
      ctx.fillText(text, x + inch(0.08), top + r * rowHeight + rowHeight / 2 + fontPx * 0.35);
      x += widths[c];
    });
  });
  if (options.ruled) {
    const thickness = Math.max(2, Math.round(dpi / 150));
    const right = margin + widths.reduce((a, b) => a + b, 0);
    for (let r = 0; r <= table.length; r++) ctx.fillRect(margin, top + r * rowHeight, right - margin + thickness, thickness);
    let x = margin;
    for (let c = 0; c <= widths.length; c++) {
      ctx.fillRect(x, top, thickness, rowHeight * table.length + thickness);
      x += widths[c] ?? 0;
    }
  }
  return canvas.toBuffer("image/png");
}
