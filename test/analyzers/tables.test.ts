import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { PDFDocument } from "pdf-lib";
import sharp from "sharp";
import type { AnalyzeResult, DocumentTable } from "../../src/analyzers/analyzeResult.js";
import { createOfflineAnalyzer } from "../../src/analyzers/offline/offlineAnalyzer.js";
import { expectedCells, INVOICE_TABLE, makeMergedDocx, makeMergedRuledPdf, renderTablePng, makeTableDocx, makeTableHtml, makeTablePdf, numberedTable, type TableText } from "../support/tables.js";
import { makeTextPdf, renderTextPng, SAMPLE_LINES, wordAccuracy, wordsOf } from "../support/documents.js";
import { options, spanText } from "./helpers.js";

const analyzer = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 60_000 });
after(() => analyzer.close());

const layout = (bytes: Uint8Array, name: string, format: "text" | "markdown" = "text") =>
  analyzer.analyze({ modelId: "prebuilt-layout", bytes, name, options: options({ outputContentFormat: format }) });

/** The table's cells as [row, column, content, header?], for exact comparison. */
const grid = (table: DocumentTable) => table.cells.map((cell) => [cell.rowIndex, cell.columnIndex, cell.content, cell.kind === "columnHeader"]);
const expectedGrid = (table: TableText) => expectedCells(table).map((cell) => [cell.rowIndex, cell.columnIndex, cell.content, cell.header]);

/** [row, column, rowSpan, columnSpan, kind, content] of each cell. */
const spannedGrid = (table: DocumentTable) =>
  table.cells.map((cell) => [cell.rowIndex, cell.columnIndex, cell.rowSpan ?? 1, cell.columnSpan ?? 1, cell.kind ?? "content", cell.content]);

/** Every span of the table and its cells reads back its content; cells point at their paragraphs. */
function assertSpansRead(result: AnalyzeResult, table: DocumentTable): void {
  for (const cell of table.cells) {
    if (cell.content === "") {
      assert.deepEqual(cell.spans, []);
      continue;
    }
    assert.equal(spanText(result.content, cell.spans[0], result.stringIndexType), cell.content);
    for (const element of cell.elements ?? []) {
      const paragraph = result.paragraphs![Number(element.split("/")[2])];
      assert.ok(cell.content.includes(paragraph.content), `${element} in ${cell.content}`);
    }
  }
  const whole = table.spans.map((span) => spanText(result.content, span, result.stringIndexType)).join("\n");
  for (const cell of table.cells) assert.ok(whole.includes(cell.content), cell.content);
}

describe("offline reader: tables in prebuilt-layout", () => {
  const sources: [string, string, () => Promise<Uint8Array>][] = [
    ["DOCX", "invoice.docx", () => makeTableDocx(INVOICE_TABLE, { title: "Invoice" })],
    ["HTML", "invoice.html", async () => makeTableHtml(INVOICE_TABLE, { title: "Invoice" })],
    ["ruled PDF", "ruled.pdf", () => makeTablePdf(INVOICE_TABLE, { style: "ruled" })],
    ["ruled PDF (rules drawn as rectangles)", "ruled-rects.pdf", () => makeTablePdf(INVOICE_TABLE, { style: "ruled", rulesAsRectangles: true })],
    ["borderless PDF", "borderless.pdf", () => makeTablePdf(INVOICE_TABLE, { style: "borderless" })],
  ];
  for (const [source, name, make] of sources) {
    it(`${source}: the grid, header cells, content and spans`, async () => {
      const result = await layout(await make(), name);
      assert.equal(result.tables?.length, 1, JSON.stringify(result.tables));
      const [table] = result.tables!;
      assert.deepEqual([table.rowCount, table.columnCount], [INVOICE_TABLE.length, INVOICE_TABLE[0].length]);
      assert.deepEqual(grid(table), expectedGrid(INVOICE_TABLE));
      assertSpansRead(result, table);
      // The text around the table is not in it.
      assert.match(result.content, /The table below lists the/);
      assert.ok(!table.cells.some((cell) => /table below/.test(cell.content)));
      if (name.endsWith(".pdf")) {
        assert.equal(table.boundingRegions?.[0].pageNumber, 1);
        for (const cell of table.cells) assert.equal(cell.boundingRegions?.[0].polygon.length, 8);
      }
    });
  }

  it("prebuilt-read reports no tables (the cells are plain paragraphs)", async () => {
    for (const bytes of [await makeTableDocx(INVOICE_TABLE), await makeTablePdf(INVOICE_TABLE, { style: "ruled" })]) {
      const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes, name: "t", options: options() });
      assert.equal(result.tables, undefined);
      assert.match(result.content, /Copy paper A4/);
    }
  });

  it("HTML rowspan and colspan: merged cells on the browser's grid; <th> columns of a body row head the row", async () => {
    const html = `<table><tr><th>Region</th><th colspan="2">Sales</th></tr>
      <tr><th rowspan="2">North</th><td>10</td><td>12</td></tr>
      <tr><td>11</td><td></td></tr>
      <tr><th>South</th><td colspan="2">none</td></tr></table>`;
    const result = await layout(new TextEncoder().encode(`<html><body>${html}</body></html>`), "merged.html");
    const [table] = result.tables!;
    assert.deepEqual([table.rowCount, table.columnCount], [4, 3]);
    assert.deepEqual(
      spannedGrid(table),
      [
        [0, 0, 1, 1, "columnHeader", "Region"],
        [0, 1, 1, 2, "columnHeader", "Sales"],
        [1, 0, 2, 1, "rowHeader", "North"],
        [1, 1, 1, 1, "content", "10"],
        [1, 2, 1, 1, "content", "12"],
        [2, 1, 1, 1, "content", "11"],
        [2, 2, 1, 1, "content", ""],
        [3, 0, 1, 1, "rowHeader", "South"],
        [3, 1, 1, 2, "content", "none"],
      ],
    );
    assertSpansRead(result, table);
  });

  it("DOCX merged cells (vertical merge and grid span)", async () => {
    const result = await layout(await makeMergedDocx(), "merged.docx");
    const [table] = result.tables!;
    assert.deepEqual([table.rowCount, table.columnCount], [4, 3]);
    assert.deepEqual(
      spannedGrid(table),
      [
        [0, 0, 2, 1, "columnHeader", "Region"],
        [0, 1, 1, 2, "columnHeader", "Sales"],
        [1, 1, 1, 1, "columnHeader", "Q1"],
        [1, 2, 1, 1, "columnHeader", "Q2"],
        [2, 0, 1, 1, "content", "North"],
        [2, 1, 1, 1, "content", "10"],
        [2, 2, 1, 1, "content", "12"],
        [3, 0, 1, 1, "content", "South"],
        [3, 1, 1, 1, "content", "7"],
        [3, 2, 1, 1, "content", "9"],
      ],
    );
  });

  it("ruled PDF merged cells: a missing rule joins grid units into one cell", async () => {
    const result = await layout(await makeMergedRuledPdf(), "merged.pdf");
    const [table] = result.tables!;
    assert.deepEqual([table.rowCount, table.columnCount], [3, 3]);
    assert.deepEqual(spannedGrid(table), [
      [0, 0, 1, 1, "columnHeader", "Region"],
      [0, 1, 1, 2, "columnHeader", "Sales"],
      [1, 0, 2, 1, "content", "North"],
      [1, 1, 1, 1, "content", "10"],
      [1, 2, 1, 1, "content", "12"],
      [2, 1, 1, 1, "content", "11"],
      [2, 2, 1, 1, "content", "13"],
    ]);
  });

  for (const ruled of [true, false]) {
    it(`a scanned ${ruled ? "ruled" : "borderless"} table (300 dpi PNG): the grid and header row, ≥ 95% of cells exactly`, async () => {
      const png = await sharp(renderTablePng(INVOICE_TABLE, { dpi: 300, ruled })).withMetadata({ density: 300 }).png().toBuffer();
      const result = await layout(png, "table.png");
      assert.equal(result.tables?.length, 1, result.content);
      const [table] = result.tables!;
      assert.deepEqual([table.rowCount, table.columnCount], [5, 4]);
      const found = grid(table);
      const expected = expectedGrid(INVOICE_TABLE);
      const exact = expected.filter((cell, i) => JSON.stringify(cell) === JSON.stringify(found[i])).length;
      assert.ok(exact / expected.length >= 0.95, JSON.stringify(found));
      assert.deepEqual(table.cells.filter((cell) => cell.kind === "columnHeader").map((cell) => cell.rowIndex), [0, 0, 0, 0]);
      assertSpansRead(result, table);
    });
  }

  it("the stems and bars of big letters on a scan are not table rules (their text is read, no table)", async () => {
    const render = renderTextPng(["HIT THE LIMIT", "FILL IN TIME"], { dpi: 300, fontSizePt: 40 });
    const png = await sharp(render.png).withMetadata({ density: 300 }).png().toBuffer();
    const result = await layout(png, "poster.png");
    assert.deepEqual(result.tables, []);
    assert.ok(wordAccuracy(wordsOf(render.lines), result.pages[0].words!.map((w) => w.content)) >= 0.95, result.content);
  });

  it("a scanned PDF page with a ruled table: the boxed text is read (prebuilt-read too) and the grid found in inches", async () => {
    const dpi = 200;
    const png = renderTablePng(INVOICE_TABLE, { dpi, ruled: true });
    const { width, height } = await sharp(png).metadata();
    const pdf = await PDFDocument.create();
    const page = pdf.addPage([(width! / dpi) * 72, (height! / dpi) * 72]);
    page.drawImage(await pdf.embedPng(png), { x: 0, y: 0, width: page.getWidth(), height: page.getHeight() });
    const bytes = await pdf.save();
    const read = await analyzer.analyze({ modelId: "prebuilt-read", bytes, name: "scan.pdf", options: options() });
    assert.match(read.content, /Copy paper A4/);
    assert.match(read.content, /Archive folders/);
    const result = await layout(bytes, "scan.pdf");
    const [table] = result.tables!;
    assert.deepEqual([table.rowCount, table.columnCount], [5, 4]);
    assert.equal(table.cells.find((cell) => cell.rowIndex === 2 && cell.columnIndex === 0)?.content, "Stapler");
    const [left, top] = table.boundingRegions![0].polygon;
    assert.ok(left > 0.5 && left < 0.7 && top > 1 && top < 1.2, JSON.stringify(table.boundingRegions));
  });

  it("markdown output shows the table as an HTML <table>, as Document Intelligence does", async () => {
    const result = await layout(await makeTableDocx(INVOICE_TABLE), "invoice.docx", "markdown");
    assert.match(result.content, /<table>\n<tr>\n<th>Item<\/th>\n<th>Quantity<\/th>[\s\S]*<td>Copy paper A4<\/td>[\s\S]*<\/table>/);
    const [table] = result.tables!;
    assert.ok(spanText(result.content, table.spans[0], "textElements").startsWith("<table>"));
    assertSpansRead(result, table);
  });

  for (const style of ["ruled", "borderless"] as const) {
    it(`a ${style} PDF table continued on the next page is one table over both pages`, async () => {
      const long = numberedTable(30);
      const result = await layout(await makeTablePdf(long, { style, rowsPerPage: 18 }), `long-${style}.pdf`);
      assert.equal(result.tables?.length, 1, JSON.stringify(result.tables?.map((t) => [t.rowCount, t.columnCount])));
      const [table] = result.tables!;
      assert.deepEqual([table.rowCount, table.columnCount], [31, 4]);
      assert.deepEqual(grid(table), expectedGrid(long));
      assert.deepEqual(table.boundingRegions?.map((region) => region.pageNumber), [1, 2]);
      assert.equal(table.spans.length, 2);
      assert.deepEqual([...new Set(table.cells.map((cell) => cell.boundingRegions![0].pageNumber))], [1, 2]);
      assertSpansRead(result, table);
    });
  }
});

describe("offline reader: running heads of PDF pages in prebuilt-layout", () => {
  it("repeated top and bottom lines are pageHeader / pageFooter, page numbers pageNumber; markdown writes them as comments", async () => {
    const pages = [1, 2, 3].map((n) => ({
      blocks: [
        { lines: ["Acme Corporation - Annual Report 2024"], size: 9, top: 0.5 },
        { lines: SAMPLE_LINES.slice(n, n + 3), size: 11, top: 2 },
        { lines: ["Confidential"], size: 9, top: 10.3 },
        { lines: [`Page ${n} of 3`], size: 9, left: 7, top: 10.6 },
      ],
    }));
    const pdf = await makeTextPdf(pages);
    const result = await layout(pdf.bytes, "report.pdf");
    const roleOf = (text: string) => result.paragraphs!.filter((p) => p.content === text).map((p) => p.role);
    assert.deepEqual(roleOf("Acme Corporation - Annual Report 2024"), ["pageHeader", "pageHeader", "pageHeader"]);
    assert.deepEqual(roleOf("Confidential"), ["pageFooter", "pageFooter", "pageFooter"]);
    assert.deepEqual(roleOf("Page 2 of 3"), ["pageNumber"]);
    assert.equal(roleOf(SAMPLE_LINES[1])[0], undefined);
    const markdown = await layout(pdf.bytes, "report.pdf", "markdown");
    assert.match(markdown.content, /<!-- PageHeader="Acme Corporation - Annual Report 2024" -->/);
    assert.match(markdown.content, /<!-- PageNumber="Page 1 of 3" -->/);
    const read = await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "report.pdf", options: options() });
    assert.ok(read.paragraphs!.every((p) => p.role === undefined));
  });
});
