/**
 * The offline reader against what a user checks first, in one process:
 * - scans turned 0/90/180/270° and skewed ±3-7°: word recall and the reported angle; OCR pages/s
 *   upright and turned; the native `tesseract` CLI on the very same images (default page
 *   segmentation, and `--psm 1` with its orientation detection);
 * - the cost of orientation handling on upright pages: the same PNGs through the OCR pool alone
 *   (what the reader did before) and through readUpright;
 * - table cell accuracy per source (DOCX, HTML, ruled and borderless text-layer PDFs), with
 *   pdfplumber on the same PDFs as the peer figure.
 *
 *   node dist/bench/scenarios/reader.js [--quick 1]
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pLimit from "p-limit";
import sharp from "sharp";
import type { AnalyzeOptions } from "../../src/analyzers/analyzer.js";
import type { AnalyzeResult, DocumentTable } from "../../src/analyzers/analyzeResult.js";
import { createOfflineAnalyzer, type OfflineAnalyzer } from "../../src/analyzers/offline/offlineAnalyzer.js";
import { separateRules } from "../../src/analyzers/offline/imageRules.js";
import { readUpright } from "../../src/analyzers/offline/uprightOcr.js";
import { renderTextPng, SAMPLE_LINES, wordAccuracy, wordsOf } from "../../test/support/documents.js";
import { makeTableDocx, makeTableHtml, makeTablePdf, numberedTable, INVOICE_TABLE, renderTablePng, type TableText } from "../../test/support/tables.js";
import { numberArg, peakRssMb, scenarioMain } from "../lib/childScenario.js";

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const analyzeOptions: AnalyzeOptions = { stringIndexType: "textElements", outputContentFormat: "text", features: [], queryFields: [] };

interface Scan {
  label: string;
  kind: "upright" | "turned" | "skewed";
  /** Document Intelligence's angle for this scan. */
  angle: number;
  png: Buffer;
  words: string[];
}

async function makeScans(texts: number): Promise<Scan[]> {
  const scans: Scan[] = [];
  for (let t = 0; t < texts; t++) {
    const lines = Array.from({ length: 8 }, (_, i) => SAMPLE_LINES[(t + i) % SAMPLE_LINES.length]);
    const render = renderTextPng(lines, { dpi: 300 });
    const words = wordsOf(lines);
    for (const [turn, angle] of [[0, 0], [90, 90], [180, 180], [270, -90]] as const) {
      const png = await sharp(render.png).rotate(turn).withMetadata({ density: 300 }).png().toBuffer();
      scans.push({ label: `${turn}°`, kind: turn ? "turned" : "upright", angle, png, words });
    }
    for (const skew of [-7, -5, -3, 3, 5, 7]) {
      const png = await sharp(render.png).rotate(skew, { background: "#ffffff" }).withMetadata({ density: 300 }).png().toBuffer();
      scans.push({ label: `skew ${skew > 0 ? "+" : ""}${skew}°`, kind: "skewed", angle: skew, png, words });
    }
  }
  return scans;
}

interface ScanFigure {
  label: string;
  pages: number;
  recall: number;
  angleRight: number;
  seconds: number;
}

async function readScans(analyzer: OfflineAnalyzer, scans: Scan[], cores: number): Promise<{ results: { scan: Scan; result: AnalyzeResult; seconds: number }[]; wallSeconds: Record<string, number> }> {
  const limit = pLimit(cores);
  const wallSeconds: Record<string, number> = {};
  const results: { scan: Scan; result: AnalyzeResult; seconds: number }[] = [];
  // One kind at a time, all workers busy: pages/s per kind.
  for (const kind of ["upright", "turned", "skewed"] as const) {
    const ofKind = scans.filter((scan) => scan.kind === kind);
    const started = performance.now();
    results.push(
      ...(await Promise.all(
        ofKind.map((scan) =>
          limit(async () => {
            const begun = performance.now();
            const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: scan.png, name: "scan.png", options: analyzeOptions });
            return { scan, result, seconds: (performance.now() - begun) / 1000 };
          }),
        ),
      )),
    );
    wallSeconds[kind] = (performance.now() - started) / 1000;
  }
  return { results, wallSeconds };
}

function angleRight(scan: Scan, angle: number | undefined): boolean {
  return scan.kind === "skewed" ? Math.abs((angle ?? 0) - scan.angle) <= 1 : angle === scan.angle;
}

/**
 * Upright pages through the pool alone (the reader before this work) and with what the reader
 * now adds around OCR: the rule scan over the grey pixels it already holds, and readUpright's
 * quality check. Alternating rounds; the grey pixels are decoded before timing, as the image
 * reader has them anyway (the PDF reader scans them in its PDF worker).
 */
async function uprightOverhead(analyzer: OfflineAnalyzer, scans: Scan[], rounds: number): Promise<{ before: number; after: number }> {
  const pages = await Promise.all(
    scans
      .filter((scan) => scan.kind === "upright")
      .map(async (scan) => ({ png: scan.png, grey: await sharp(scan.png).greyscale().raw().toBuffer({ resolveWithObject: true }) })),
  );
  const time = async (read: (page: (typeof pages)[number]) => Promise<unknown>) => {
    const limit = pLimit(analyzer.ocr.size);
    const started = performance.now();
    await Promise.all(pages.map((page) => limit(() => read(page))));
    return pages.length / ((performance.now() - started) / 1000);
  };
  const before: number[] = [];
  const after: number[] = [];
  for (let round = 0; round < rounds; round++) {
    before.push(await time((page) => analyzer.ocr.recognize(page.png)));
    after.push(
      await time(async (page) => {
        const { data, info } = page.grey;
        separateRules({ data: Buffer.from(data), width: info.width, height: info.height }, { dpi: 300 });
        return readUpright(page.png, analyzer.ocr);
      }),
    );
  }
  return { before: median(before), after: median(after) };
}

/** The native CLI, installed from Debian's packages when missing and this process may (root with apt-get). */
async function ensureNativeTesseract(): Promise<string | undefined> {
  try {
    await run("tesseract", ["--version"]);
    return undefined;
  } catch {
    if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return "tesseract command not found (apt-get install tesseract-ocr)";
  }
  process.stderr.write("  reader: installing tesseract-ocr with apt-get...\n");
  const install = () => run("apt-get", ["install", "-y", "tesseract-ocr"], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  try {
    await install().catch(async () => {
      await run("apt-get", ["update"]);
      await install();
    });
    await run("tesseract", ["--version"]);
    return undefined;
  } catch (error) {
    return `tesseract-ocr could not be installed: ${(error as Error).message.split("\n")[0]}`;
  }
}

async function nativeTesseract(scans: Scan[], cores: number) {
  const missing = await ensureNativeTesseract();
  if (missing) return { available: false as const, reason: missing };
  const folder = await mkdtemp(path.join(os.tmpdir(), "docbatch-reader-bench-"));
  try {
    const files = await Promise.all(scans.map(async (scan, i) => {
      const file = path.join(folder, `scan-${i}.png`);
      await writeFile(file, scan.png);
      return file;
    }));
    const env = { ...process.env, OMP_THREAD_LIMIT: "1" };
    const byMode: Record<string, { kind: string; pages: number; seconds: number; recall: number }[]> = {};
    for (const [mode, extra] of [["default (psm 3)", []], ["psm 1 (with OSD)", ["--psm", "1"]]] as const) {
      byMode[mode] = [];
      for (const kind of ["upright", "turned", "skewed"] as const) {
        const chosen = scans.map((scan, i) => ({ scan, file: files[i] })).filter((entry) => entry.scan.kind === kind);
        const limit = pLimit(cores);
        const started = performance.now();
        const texts = await Promise.all(chosen.map((entry) => limit(async () => (await run("tesseract", [entry.file, "stdout", "-l", "eng", ...extra], { env })).stdout)));
        const seconds = (performance.now() - started) / 1000;
        const recall = mean(texts.map((text, i) => wordAccuracy(chosen[i].scan.words, text.split(/\s+/).filter(Boolean))));
        byMode[mode].push({ kind, pages: chosen.length, seconds: round(seconds), recall: round(recall, 4) });
      }
    }
    const { stdout } = await run("tesseract", ["--version"]);
    return { available: true as const, version: stdout.split("\n")[0], byMode };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Tables

type Grid = string[][];
const normalize = (text: string) => text.replace(/\s+/g, " ").trim();

/** A result table as rows of cell text (a merged cell at its top-left position). */
function gridOfTable(table: DocumentTable): Grid {
  const grid: Grid = Array.from({ length: table.rowCount }, () => Array<string>(table.columnCount).fill(""));
  for (const cell of table.cells) grid[cell.rowIndex][cell.columnIndex] = normalize(cell.content);
  return grid;
}

/**
 * Share of expected cells found with exactly their text, with the found tables' rows taken in
 * order (tables split over pages count as one) and the best placement of the expected grid in
 * them (so an extra row or column the extractor adds costs nothing by itself, nor do empty rows).
 */
function cellAccuracy(expected: TableText, found: Grid[]): number {
  // Rows with no text at all are dropped (pdfplumber's text strategy puts one between text rows).
  const rows = found.flat().filter((row) => row.some((cell) => cell !== ""));
  let best = 0;
  for (let dr = 0; dr <= Math.max(0, rows.length - expected.length) && dr <= 3; dr++) {
    for (let dc = 0; dc <= 2; dc++) {
      let hits = 0;
      expected.forEach((row, r) => row.forEach((text, c) => (hits += normalize(rows[r + dr]?.[c + dc] ?? "") === normalize(text) ? 1 : 0)));
      best = Math.max(best, hits);
    }
  }
  return best / expected.flat().length;
}

interface TableDocument {
  name: string;
  table: TableText;
  rowsPerPage?: number;
}

const TABLE_DOCUMENTS: TableDocument[] = [
  { name: "invoice", table: INVOICE_TABLE },
  { name: "orders-12", table: numberedTable(12, 2) },
  { name: "orders-8", table: numberedTable(8, 3) },
  { name: "orders-40-two-pages", table: numberedTable(40, 4), rowsPerPage: 25 },
];

async function tableFigures(analyzer: OfflineAnalyzer) {
  const folder = await mkdtemp(path.join(os.tmpdir(), "docbatch-reader-tables-"));
  try {
    const sources = {
      DOCX: (doc: TableDocument) => makeTableDocx(doc.table),
      HTML: async (doc: TableDocument) => makeTableHtml(doc.table),
      "ruled PDF": (doc: TableDocument) => makeTablePdf(doc.table, { style: "ruled", rowsPerPage: doc.rowsPerPage }),
      "borderless PDF": (doc: TableDocument) => makeTablePdf(doc.table, { style: "borderless", rowsPerPage: doc.rowsPerPage }),
      // Scans: one page each (the two-page table as one tall image), 300 dpi.
      "scanned ruled (300 dpi PNG)": (doc: TableDocument) => scanOf(doc.table, true),
      "scanned borderless (300 dpi PNG)": (doc: TableDocument) => scanOf(doc.table, false),
    };
    const figures: { source: string; documents: number; cells: number; docbatch: number; docbatchSeconds: number; pdfplumber?: number; pdfplumberNote?: string }[] = [];
    for (const [source, make] of Object.entries(sources)) {
      let weighted = 0;
      let cells = 0;
      let seconds = 0;
      const files: { file: string; doc: TableDocument }[] = [];
      for (const doc of TABLE_DOCUMENTS) {
        const bytes = await make(doc);
        const started = performance.now();
        const result = await analyzer.analyze({ modelId: "prebuilt-layout", bytes, name: doc.name, options: analyzeOptions });
        seconds += (performance.now() - started) / 1000;
        const n = doc.table.flat().length;
        weighted += cellAccuracy(doc.table, (result.tables ?? []).map(gridOfTable)) * n;
        cells += n;
        if (source.endsWith("PDF")) {
          const file = path.join(folder, `${source.replace(/\W+/g, "-")}-${doc.name}.pdf`);
          await writeFile(file, bytes);
          files.push({ file, doc });
        }
      }
      const figure: (typeof figures)[number] = { source, documents: TABLE_DOCUMENTS.length, cells, docbatch: round(weighted / cells, 4), docbatchSeconds: round(seconds, 3) };
      if (files.length) {
        const peer = await pdfplumberTables(source.startsWith("ruled") ? "lines" : "text", files.map((f) => f.file));
        if ("error" in peer) figure.pdfplumberNote = peer.error;
        else {
          let peerWeighted = 0;
          for (const { file, doc } of files) peerWeighted += cellAccuracy(doc.table, peer.tables[file] ?? []) * doc.table.flat().length;
          figure.pdfplumber = round(peerWeighted / cells, 4);
        }
      }
      figures.push(figure);
    }
    return figures;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

const scanOf = (table: TableText, ruled: boolean) => sharp(renderTablePng(table, { dpi: 300, ruled })).withMetadata({ density: 300 }).png().toBuffer();

/** pdfplumber from the test virtual environment (or DOCBATCH_BENCH_PYTHON). */
async function pdfplumberTables(strategy: "lines" | "text", files: string[]): Promise<{ tables: Record<string, Grid[]> } | { error: string }> {
  const python = process.env.DOCBATCH_BENCH_PYTHON ?? path.join(repoRoot, ".venv-test", "bin", "python");
  if (!existsSync(python)) return { error: `no Python at ${python} (npm run setup:python)` };
  try {
    const { stdout } = await run(python, [path.join(repoRoot, "bench", "python", "pdfplumber_tables.py"), strategy, ...files], { maxBuffer: 64 * 1024 * 1024 });
    const raw = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, (string | null)[][][]>;
    return { tables: Object.fromEntries(Object.entries(raw).map(([file, tables]) => [file, tables.map((t) => t.map((row) => row.map((cell) => normalize(cell ?? ""))))])) };
  } catch (error) {
    return { error: `pdfplumber failed: ${(error as Error).message.split("\n")[0]} (is pdfplumber in the test venv? npm run setup:python)` };
  }
}

// ---------------------------------------------------------------------------------------------

scenarioMain(async (args) => {
  const quick = numberArg(args, "quick", 0) === 1;
  const cores = os.availableParallelism();
  const analyzer = createOfflineAnalyzer({ ocrWorkers: cores, timeoutMs: 600_000 });
  try {
    const scans = await makeScans(quick ? 2 : 4);
    // Workers started and warm before anything is timed.
    await Promise.all(Array.from({ length: cores }, () => analyzer.analyze({ modelId: "prebuilt-read", bytes: scans[0].png, name: "warm.png", options: analyzeOptions })));
    const { results, wallSeconds } = await readScans(analyzer, scans, cores);
    const byLabel = new Map<string, ScanFigure>();
    for (const { scan, result, seconds } of results) {
      const figure = byLabel.get(scan.label) ?? { label: scan.label, pages: 0, recall: 0, angleRight: 0, seconds: 0 };
      figure.pages++;
      figure.recall += wordAccuracy(scan.words, result.pages[0].words!.map((w) => w.content));
      figure.angleRight += angleRight(scan, result.pages[0].angle) ? 1 : 0;
      figure.seconds += seconds;
      byLabel.set(scan.label, figure);
    }
    const orientation = [...byLabel.values()].map((f) => ({ ...f, recall: round(f.recall / f.pages, 4), seconds: round(f.seconds / f.pages, 2) }));
    const pagesPerSecond = Object.fromEntries(
      Object.entries(wallSeconds).map(([kind, seconds]) => [kind, round(scans.filter((scan) => scan.kind === kind).length / seconds, 3)]),
    );
    const overhead = await uprightOverhead(analyzer, scans, quick ? 2 : 3);
    const native = await nativeTesseract(scans, cores);
    const tables = await tableFigures(analyzer);
    return {
      cores,
      scansPerDirection: quick ? 2 : 4,
      orientation,
      pagesPerSecond,
      upright: { beforePagesPerSecond: round(overhead.before, 3), afterPagesPerSecond: round(overhead.after, 3), slowdown: round(1 - overhead.after / overhead.before, 4) },
      native,
      tables,
      peakRssMb: peakRssMb(),
    };
  } finally {
    await analyzer.close();
  }
});

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
