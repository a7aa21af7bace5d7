import { runScenario } from "../lib/childScenario.js";
import type { SectionResult } from "../lib/sectionResult.js";

interface ReaderRun {
  cores: number;
  scansPerDirection: number;
  orientation: { label: string; pages: number; recall: number; angleRight: number; seconds: number }[];
  pagesPerSecond: Record<"upright" | "turned" | "skewed", number>;
  upright: { beforePagesPerSecond: number; afterPagesPerSecond: number; slowdown: number };
  native:
    | { available: false; reason: string }
    | { available: true; version: string; byMode: Record<string, { kind: string; pages: number; seconds: number; recall: number }[]> };
  tables: { source: string; documents: number; cells: number; docbatch: number; docbatchSeconds: number; pdfplumber?: number; pdfplumberNote?: string }[];
  peakRssMb: number;
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

/**
 * The offline reader (scenarios/reader.ts): turned and skewed scans, the cost of orientation
 * handling on upright pages, native tesseract on the same images, table cells against pdfplumber.
 */
export async function runReaderBenchmark({ quick }: { quick: boolean }): Promise<SectionResult> {
  process.stderr.write(`  reader: turned and skewed scans, native tesseract, tables against pdfplumber...\n`);
  const run = await runScenario<ReaderRun>("scenarios/reader", { quick: quick ? 1 : 0 }, { timeoutMs: 40 * 60_000 });
  const turned = run.orientation.filter((f) => !f.label.startsWith("skew") && f.label !== "0°");
  const allTurnsRight = turned.every((f) => f.angleRight === f.pages);
  const recallMet = run.orientation.every((f) => f.recall >= 0.95);
  const tablesMet = run.tables.filter((t) => !t.source.startsWith("scanned")).every((t) => t.docbatch >= 0.95 && (t.pdfplumber === undefined || t.docbatch >= t.pdfplumber));
  const uprightMet = run.upright.slowdown <= 0.15;
  const nativeRows: (string | number)[][] = [];
  if (run.native.available) {
    for (const [mode, figures] of Object.entries(run.native.byMode)) {
      for (const f of figures) nativeRows.push([`native tesseract ${mode}, ${f.kind}`, f.pages, (f.pages / f.seconds).toFixed(3), pct(f.recall)]);
    }
  }
  const readerRecall = (kind: string) => {
    const figures = run.orientation.filter((f) => (kind === "upright" ? f.label === "0°" : kind === "skewed" ? f.label.startsWith("skew") : !f.label.startsWith("skew") && f.label !== "0°"));
    return pct(figures.reduce((sum, f) => sum + f.recall * f.pages, 0) / figures.reduce((sum, f) => sum + f.pages, 0));
  };
  return {
    section: "reader",
    targetMet: allTurnsRight && recallMet && tablesMet && uprightMet,
    tables: [
      {
        title: `Scans turned and skewed (300 dpi PNG, ${run.scansPerDirection} texts per direction, prebuilt-read)`,
        headers: ["scan", "pages", "word recall", "right angle", "s per page (2 in flight)"],
        rows: run.orientation.map((f) => [f.label, f.pages, pct(f.recall), `${f.angleRight}/${f.pages}`, f.seconds.toFixed(2)]),
      },
      {
        title: "OCR pages/s on the same images (all cores busy)",
        headers: ["reader", "pages", "pages/s", "word recall"],
        rows: [
          ...(["upright", "turned", "skewed"] as const).map((kind) => [
            `docbatch (tesseract.js), ${kind}`,
            run.orientation.filter((f) => (kind === "upright" ? f.label === "0°" : kind === "skewed" ? f.label.startsWith("skew") : !f.label.startsWith("skew") && f.label !== "0°")).reduce((s, f) => s + f.pages, 0),
            run.pagesPerSecond[kind].toFixed(3),
            readerRecall(kind),
          ]),
          ...nativeRows,
        ],
      },
      {
        title: "Orientation handling on upright pages (same PNGs, median of rounds)",
        headers: ["path", "pages/s"],
        rows: [
          ["OCR pool alone (the reader before)", run.upright.beforePagesPerSecond.toFixed(3)],
          ["rule scan of the pixels + readUpright (quality check, turns only when unreadable)", run.upright.afterPagesPerSecond.toFixed(3)],
          ["slowdown (target ≤ 15%)", pct(run.upright.slowdown)],
        ],
      },
      {
        title: "Table cells with exactly the right text (prebuilt-layout vs pdfplumber on the same PDFs)",
        headers: ["source", "documents", "cells", "docbatch", "pdfplumber", "docbatch s"],
        rows: run.tables.map((t) => [t.source, t.documents, t.cells, pct(t.docbatch), t.pdfplumber !== undefined ? pct(t.pdfplumber) : (t.pdfplumberNote ?? "–"), t.docbatchSeconds.toFixed(3)]),
      },
    ],
    notes: [
      ...(quick ? ["Quick mode: 2 texts per direction (full run: 4)."] : []),
      "Angles as Document Intelligence reports them: a page turned 90° clockwise is 90, 270° is -90; a skew counts as right within 1°.",
      "pdfplumber: default (ruling lines) settings for ruled PDFs, vertical/horizontal \"text\" strategies for borderless ones; its tables of every page are taken in order, so a table split by a page break is not held against it.",
      "Scanned tables are reported for what they are (OCR errors count against them); the goal applies to the other sources.",
      "Cell accuracy places the expected grid at its best offset in the found rows, empty rows dropped (an extra row or column costs nothing by itself).",
      run.native.available ? `Native: ${run.native.version}, one process per core, OMP_THREAD_LIMIT=1.` : `Native tesseract: ${run.native.reason}.`,
      `Peak RSS of the scenario: ${Math.round(run.peakRssMb)} MB.`,
    ],
    data: run,
  };
}
