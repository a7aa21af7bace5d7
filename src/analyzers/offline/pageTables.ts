/**
 * Tables on a page with positioned words (a PDF text layer, or OCR), found from two kinds of evidence:
 * - ruled tables: horizontal and vertical rules that cross each other form a grid; a missing
 *   stretch of rule between two grid units merges them into one cell (rowSpan / columnSpan);
 * - borderless tables: three or more consecutive rows of short text runs separated by wide gaps,
 *   whose runs fall into the same columns.
 * The words inside a table leave their paragraphs and become one paragraph per cell, placed
 * where the table starts in reading order. Positions in the page's unit (`unitsPerInch` of them
 * make an inch: 1 for PDFs, the resolution for images in pixels).
 */
import { boundingPolygon, rectanglePolygon, type ExtractedLine, type ExtractedParagraph, type ExtractedTable, type ExtractedTableCell, type ExtractedWord } from "./extractedDocument.js";
import type { Rule } from "./pdfRules.js";

/** Rule positions closer than this (inches) are the same line. */
const SAME_LINE_INCHES = 0.03;

interface PlacedWord {
  word: ExtractedWord;
  line: ExtractedLine;
  paragraph: ExtractedParagraph;
  left: number;
  right: number;
  top: number;
  bottom: number;
  cx: number;
  cy: number;
}

interface FoundTable {
  /** Cells row by row with the words inside each. */
  cells: { cell: Omit<ExtractedTableCell, "paragraphs" | "pageNumber">; words: PlacedWord[] }[];
  rowCount: number;
  columnCount: number;
  polygon: number[];
}

export function findPageTables(
  pageNumber: number,
  paragraphs: ExtractedParagraph[],
  rules: readonly Rule[],
  options: { unitsPerInch?: number } = {},
): { paragraphs: ExtractedParagraph[]; tables: ExtractedTable[] } {
  const words = placeWords(paragraphs);
  if (words.length === 0) return { paragraphs, tables: [] };
  const found = ruledTables(words, rules, SAME_LINE_INCHES * (options.unitsPerInch ?? 1));
  const taken = new Set(found.flatMap((table) => table.cells.flatMap((cell) => cell.words)));
  found.push(...borderlessTables(words.filter((word) => !taken.has(word))));
  const usable = found.filter((table) => table.cells.some((cell) => cell.words.length > 0));
  if (usable.length === 0) return { paragraphs, tables: [] };
  return rebuildParagraphs(pageNumber, paragraphs, usable);
}

function placeWords(paragraphs: ExtractedParagraph[]): PlacedWord[] {
  const placed: PlacedWord[] = [];
  for (const paragraph of paragraphs) {
    for (const line of paragraph.lines) {
      for (const word of line.words) {
        if (!word.polygon) continue;
        const xs = word.polygon.filter((_, i) => i % 2 === 0);
        const ys = word.polygon.filter((_, i) => i % 2 === 1);
        const [left, right, top, bottom] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
        placed.push({ word, line, paragraph, left, right, top, bottom, cx: (left + right) / 2, cy: (top + bottom) / 2 });
      }
    }
  }
  return placed;
}

// ---------------------------------------------------------------------------------------------
// Ruled tables

function ruledTables(words: PlacedWord[], rules: readonly Rule[], sameLine: number): FoundTable[] {
  const merged = [...mergeRules(rules.filter((r) => r.direction === "h"), "h", sameLine), ...mergeRules(rules.filter((r) => r.direction === "v"), "v", sameLine)];
  const tables: FoundTable[] = [];
  for (const component of crossingComponents(merged, sameLine)) {
    const table = gridOf(component, words, sameLine);
    if (table) tables.push(table);
  }
  return tables.sort((a, b) => a.polygon[1] - b.polygon[1]);
}

/** Collinear rules that touch or overlap become one. */
function mergeRules(rules: Rule[], direction: "h" | "v", sameLine: number): Rule[] {
  const at = (r: Rule) => (direction === "h" ? r.y0 : r.x0);
  const from = (r: Rule) => (direction === "h" ? r.x0 : r.y0);
  const to = (r: Rule) => (direction === "h" ? r.x1 : r.y1);
  const sorted = [...rules].sort((a, b) => at(a) - at(b) || from(a) - from(b));
  const result: Rule[] = [];
  for (const rule of sorted) {
    const last = result.findLast((r) => Math.abs(at(r) - at(rule)) < sameLine && from(rule) <= to(r) + sameLine);
    if (last) {
      if (direction === "h") last.x1 = Math.max(last.x1, rule.x1);
      else last.y1 = Math.max(last.y1, rule.y1);
    } else {
      result.push({ ...rule });
    }
  }
  return result;
}

/** Groups of rules connected by crossings. */
function crossingComponents(rules: Rule[], sameLine: number): Rule[][] {
  const parent = rules.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (let i = 0; i < rules.length; i++) {
    for (let j = i + 1; j < rules.length; j++) {
      const [a, b] = [rules[i], rules[j]];
      if (a.direction === b.direction) continue;
      const [h, v] = a.direction === "h" ? [a, b] : [b, a];
      if (v.x0 >= h.x0 - sameLine && v.x0 <= h.x1 + sameLine && h.y0 >= v.y0 - sameLine && h.y0 <= v.y1 + sameLine) parent[find(i)] = find(j);
    }
  }
  const groups = new Map<number, Rule[]>();
  rules.forEach((rule, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), rule]));
  return [...groups.values()];
}

/** Distinct positions, closer ones merged. */
function positions(values: number[], sameLine: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const result: number[] = [];
  for (const value of sorted) if (result.length === 0 || value - result.at(-1)! >= sameLine) result.push(value);
  return result;
}

function gridOf(component: Rule[], words: PlacedWord[], sameLine: number): FoundTable | undefined {
  const horizontal = component.filter((r) => r.direction === "h");
  const vertical = component.filter((r) => r.direction === "v");
  const ys = positions(horizontal.map((r) => r.y0), sameLine);
  const xs = positions(vertical.map((r) => r.x0), sameLine);
  const rows = ys.length - 1;
  const columns = xs.length - 1;
  if (rows < 2 || columns < 2) return undefined;
  // Whether a rule runs along most of a grid unit's side.
  const covered = (direction: "h" | "v", at: number, from: number, to: number) =>
    (direction === "h" ? horizontal : vertical).some((r) => {
      const position = direction === "h" ? r.y0 : r.x0;
      const [start, end] = direction === "h" ? [r.x0, r.x1] : [r.y0, r.y1];
      return Math.abs(position - at) < sameLine && Math.min(end, to) - Math.max(start, from) >= 0.6 * (to - from);
    });
  const unit = (r: number, c: number) => r * columns + c;
  const parent = Array.from({ length: rows * columns }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      if (c + 1 < columns && !covered("v", xs[c + 1], ys[r], ys[r + 1])) parent[find(unit(r, c + 1))] = find(unit(r, c));
      if (r + 1 < rows && !covered("h", ys[r + 1], xs[c], xs[c + 1])) parent[find(unit(r + 1, c))] = find(unit(r, c));
    }
  }
  const groups = new Map<number, { r0: number; r1: number; c0: number; c1: number }>();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const root = find(unit(r, c));
      const group = groups.get(root);
      if (!group) groups.set(root, { r0: r, r1: r, c0: c, c1: c });
      else Object.assign(group, { r0: Math.min(group.r0, r), r1: Math.max(group.r1, r), c0: Math.min(group.c0, c), c1: Math.max(group.c1, c) });
    }
  }
  const [left, top, right, bottom] = [xs[0], ys[0], xs.at(-1)!, ys.at(-1)!];
  const inside = words.filter((w) => w.cx > left && w.cx < right && w.cy > top && w.cy < bottom);
  const cells = [...groups.values()]
    .sort((a, b) => a.r0 - b.r0 || a.c0 - b.c0)
    .map((g) => {
      const box = [xs[g.c0], ys[g.r0], xs[g.c1 + 1], ys[g.r1 + 1]] as const;
      return {
        cell: {
          rowIndex: g.r0,
          columnIndex: g.c0,
          ...(g.r1 > g.r0 ? { rowSpan: g.r1 - g.r0 + 1 } : {}),
          ...(g.c1 > g.c0 ? { columnSpan: g.c1 - g.c0 + 1 } : {}),
          polygon: rectanglePolygon(...box),
        },
        words: inside.filter((w) => w.cx > box[0] && w.cx < box[2] && w.cy > box[1] && w.cy < box[3]),
      };
    });
  return { cells: markHeader(cells), rowCount: rows, columnCount: columns, polygon: rectanglePolygon(left, top, right, bottom) };
}

// ---------------------------------------------------------------------------------------------
// Borderless tables

interface Segment {
  words: PlacedWord[];
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** A gap this many text heights wide between words separates columns. */
const COLUMN_GAP = 1.0;
const MIN_ROWS = 3;
const MAX_WORDS_PER_CELL = 4;

function borderlessTables(words: PlacedWord[]): FoundTable[] {
  const rows = visualRows(words);
  const tables: FoundTable[] = [];
  let run: Segment[][] = [];
  const close = () => {
    const table = run.length >= MIN_ROWS ? columnsOf(run) : undefined;
    if (table) tables.push(table);
    run = [];
  };
  for (const row of rows) {
    const previous = run.at(-1);
    const height = Math.max(...row.map((s) => s.bottom - s.top));
    // Rows further apart than this are separate blocks (OCR boxes are tight: glyph height only).
    const continues = previous && row[0].top - Math.max(...previous.map((s) => s.bottom)) < 2.5 * height;
    if (row.length >= 2 && (continues || run.length === 0)) run.push(row);
    else {
      close();
      if (row.length >= 2) run.push(row);
    }
  }
  close();
  return tables;
}

/** Words grouped into rows of segments (runs of words without a column-wide gap), top to bottom. */
function visualRows(words: PlacedWord[]): Segment[][] {
  const sorted = [...words].sort((a, b) => a.cy - b.cy);
  const rows: PlacedWord[][] = [];
  for (const word of sorted) {
    const row = rows.at(-1);
    const height = word.bottom - word.top;
    if (row && Math.abs(row[0].cy - word.cy) < 0.4 * height) row.push(word);
    else rows.push([word]);
  }
  return rows.map((row) => {
    const ordered = row.sort((a, b) => a.left - b.left);
    const segments: Segment[] = [];
    for (const word of ordered) {
      const last = segments.at(-1);
      const height = word.bottom - word.top;
      if (last && word.left - last.right < COLUMN_GAP * height) {
        last.words.push(word);
        last.right = Math.max(last.right, word.right);
        last.top = Math.min(last.top, word.top);
        last.bottom = Math.max(last.bottom, word.bottom);
      } else {
        segments.push({ words: [word], left: word.left, right: word.right, top: word.top, bottom: word.bottom });
      }
    }
    return segments;
  });
}

/** The columns a run of rows shares (their segments' spans projected and merged), if it is a table. */
function columnsOf(run: Segment[][]): FoundTable | undefined {
  const spans = run.flat().map((s) => [s.left, s.right] as [number, number]).sort((a, b) => a[0] - b[0]);
  const columns: [number, number][] = [];
  for (const [left, right] of spans) {
    const last = columns.at(-1);
    if (last && left <= last[1]) last[1] = Math.max(last[1], right);
    else columns.push([left, right]);
  }
  if (columns.length < 2) return undefined;
  const segments = run.flat();
  // Prose in two columns is long runs of words; table cells are short.
  if (segments.reduce((sum, s) => sum + s.words.length, 0) / segments.length > MAX_WORDS_PER_CELL) return undefined;
  // Most rows must fill most columns, or this is a list beside a note rather than a table.
  const filled = run.filter((row) => row.length >= Math.min(columns.length, 2)).length;
  if (filled < MIN_ROWS) return undefined;
  const columnOf = (s: Segment) => columns.findIndex(([left, right]) => s.left >= left - 1e-9 && s.right <= right + 1e-9);
  const bands = run.map((row) => [Math.min(...row.map((s) => s.top)), Math.max(...row.map((s) => s.bottom))]);
  const cells = run.flatMap((row, rowIndex) =>
    columns.map((column, columnIndex) => {
      const inColumn = row.filter((s) => columnOf(s) === columnIndex);
      const words = inColumn.flatMap((s) => s.words);
      const polygon = words.length
        ? boundingPolygon(words.map((w) => w.word.polygon))!
        : rectanglePolygon(column[0], bands[rowIndex][0], column[1], bands[rowIndex][1]);
      return { cell: { rowIndex, columnIndex, polygon }, words };
    }),
  );
  const polygon = boundingPolygon(cells.map((c) => c.cell.polygon))!;
  return { cells: markHeader(cells), rowCount: run.length, columnCount: columns.length, polygon };
}

// ---------------------------------------------------------------------------------------------

const NUMBER = /^[-+(]?[$€£]?\d[\d.,:/%]*\)?$/;

/**
 * The first row heads the columns when it is words over columns holding numbers (a PDF says
 * nothing about header rows; this is what a reader sees).
 */
function markHeader<T extends { cell: { rowIndex: number; kind?: ExtractedTableCell["kind"] }; words: PlacedWord[] }>(cells: T[]): T[] {
  const text = (c: T) => c.words.map((w) => w.word.text).join(" ");
  const first = cells.filter((c) => c.cell.rowIndex === 0);
  const rest = cells.filter((c) => c.cell.rowIndex > 0);
  const firstIsWords = first.every((c) => c.words.length > 0 && !NUMBER.test(text(c)));
  const bodyHasNumbers = rest.some((c) => NUMBER.test(text(c)));
  if (firstIsWords && bodyHasNumbers) for (const c of first) c.cell.kind = "columnHeader";
  return cells;
}

/** Table words leave their paragraphs; each cell becomes a paragraph, placed where its table starts. */
function rebuildParagraphs(pageNumber: number, paragraphs: ExtractedParagraph[], found: FoundTable[]): { paragraphs: ExtractedParagraph[]; tables: ExtractedTable[] } {
  const tableOfWord = new Map<ExtractedWord, number>();
  found.forEach((table, index) => table.cells.forEach((cell) => cell.words.forEach((w) => tableOfWord.set(w.word, index))));
  const tables: ExtractedTable[] = found.map((table) => ({
    rowCount: table.rowCount,
    columnCount: table.columnCount,
    regions: [{ pageNumber, polygon: table.polygon }],
    cells: table.cells.map(({ cell, words }) => ({ ...cell, pageNumber, paragraphs: words.length ? [cellParagraph(words)] : [] })),
  }));
  const result: ExtractedParagraph[] = [];
  const placed = new Set<number>();
  for (const paragraph of paragraphs) {
    const touched = paragraph.lines.flatMap((line) => line.words.map((word) => tableOfWord.get(word))).filter((index): index is number => index !== undefined);
    if (touched.length === 0) {
      result.push(paragraph);
      continue;
    }
    const lines = paragraph.lines
      .map((line) => {
        const words = line.words.filter((word) => !tableOfWord.has(word));
        return { words, polygon: words.length === line.words.length ? line.polygon : boundingPolygon(words.map((w) => w.polygon)) };
      })
      .filter((line) => line.words.length > 0);
    const remaining = lines.length ? { ...paragraph, lines } : undefined;
    // Text before the table stays before it.
    const before = remaining && paragraph.lines[0].words[0] && !tableOfWord.has(paragraph.lines[0].words[0]);
    if (remaining && before) result.push(remaining);
    for (const index of touched) {
      if (placed.has(index)) continue;
      placed.add(index);
      for (const cell of tables[index].cells) result.push(...cell.paragraphs);
    }
    if (remaining && !before) result.push(remaining);
  }
  return { paragraphs: result, tables };
}

function cellParagraph(words: PlacedWord[]): ExtractedParagraph {
  const lines = new Map<ExtractedLine, PlacedWord[]>();
  for (const word of words) lines.set(word.line, [...(lines.get(word.line) ?? []), word]);
  const ordered = [...lines.values()].map((ws) => ws.sort((a, b) => a.left - b.left)).sort((a, b) => a[0].cy - b[0].cy || a[0].left - b[0].left);
  return {
    lines: ordered.map((ws) => ({ words: ws.map((w) => w.word), polygon: boundingPolygon(ws.map((w) => w.word.polygon)) })),
    textSize: words[0].paragraph.textSize,
  };
}
