/**
 * Offline reader benchmark: pages per second for text-layer PDFs and for OCR'd pages, word
 * accuracy, and — on the very same images in the same run — the native `tesseract` command line
 * as the reference (reported as not available when it is not installed).
 *
 *   node dist/bench/analyzers.js [--quick]
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import pLimit from "p-limit";
import type { AnalyzeOptions } from "../src/analyzers/analyzer.js";
import { createOfflineAnalyzer } from "../src/analyzers/offline/offlineAnalyzer.js";
import { makeScannedPdf, makeTextImage, makeTextPdf, SAMPLE_LINES, wordAccuracy, wordsOf } from "../test/support/documents.js";
import { DEFAULT_MAX_TEXT_CHARACTERS } from "../src/analyzers/offline/textLimit.js";
import { runScenario } from "./lib/childScenario.js";

const run = promisify(execFile);
const analyzeOptions: AnalyzeOptions = { stringIndexType: "textElements", outputContentFormat: "text", features: [], queryFields: [] };

/** Eight lines per page, rotated through the sample lines so pages differ. */
function pageLines(page: number): string[] {
  return Array.from({ length: 8 }, (_, i) => SAMPLE_LINES[(page + i) % SAMPLE_LINES.length]);
}

export async function runAnalyzerBenchmark(options: { quick: boolean }): Promise<object> {
  const cores = os.availableParallelism();
  const textPdfPages = options.quick ? 40 : 200;
  const ocrPages = options.quick ? 4 : 16;
  const analyzer = createOfflineAnalyzer({ ocrWorkers: cores, timeoutMs: 600_000 });
  try {
    // Text-layer PDF: one document, many pages.
    const pdf = await makeTextPdf(Array.from({ length: textPdfPages }, (_, i) => ({ blocks: [{ lines: pageLines(i), size: 11 }] })));
    await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "warmup.pdf", options: { ...analyzeOptions, pages: "1" } });
    let started = performance.now();
    const pdfResult = await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "text.pdf", options: analyzeOptions });
    const textPdfSeconds = (performance.now() - started) / 1000;
    const textPdfAccuracy = wordAccuracy(wordsOf(pdf.pages.flat()), pdfResult.pages.flatMap((p) => p.words!.map((w) => w.content)));

    // OCR: single-page 300 dpi PNGs, as many in flight as there are workers.
    const images = await Promise.all(Array.from({ length: ocrPages }, (_, i) => makeTextImage("png", [pageLines(i)], { dpi: 300 })));
    const workerStart = performance.now();
    await Promise.all(
      Array.from({ length: cores }, () => analyzer.analyze({ modelId: "prebuilt-read", bytes: images[0].bytes, name: "warmup.png", options: analyzeOptions })),
    );
    const warmupSeconds = (performance.now() - workerStart) / 1000;
    started = performance.now();
    const limit = pLimit(cores);
    const ocrResults = await Promise.all(images.map((image) => limit(() => analyzer.analyze({ modelId: "prebuilt-read", bytes: image.bytes, name: "page.png", options: analyzeOptions }))));
    const ocrSeconds = (performance.now() - started) / 1000;
    const expected = images.map((image) => wordsOf(image.pages[0]));
    const ocrAccuracy = mean(ocrResults.map((result, i) => wordAccuracy(expected[i], result.pages[0].words!.map((w) => w.content))));

    // Scanned PDF pages: render at 200 dpi + OCR.
    const scannedPages = options.quick ? 2 : 6;
    const scanned = await makeScannedPdf(Array.from({ length: scannedPages }, (_, i) => pageLines(i)));
    started = performance.now();
    const scannedResult = await analyzer.analyze({ modelId: "prebuilt-read", bytes: scanned.bytes, name: "scan.pdf", options: analyzeOptions });
    const scannedSeconds = (performance.now() - started) / 1000;
    const scannedAccuracy = wordAccuracy(wordsOf(scanned.pages.flat()), scannedResult.pages.flatMap((p) => p.words!.map((w) => w.content)));

    const native = await nativeTesseract(images.map((image) => image.bytes), expected, cores);
    const bigText = await bigTextFigures(options);
    const ocrPagesPerSecond = ocrPages / ocrSeconds;
    const figures = {
      cores,
      textPdf: { pages: textPdfPages, seconds: round(textPdfSeconds), pagesPerSecond: round(textPdfPages / textPdfSeconds), wordAccuracy: round(textPdfAccuracy, 4) },
      ocr: { pages: ocrPages, dpi: 300, workers: cores, workerWarmupSeconds: round(warmupSeconds), seconds: round(ocrSeconds), pagesPerSecond: round(ocrPagesPerSecond), wordAccuracy: round(ocrAccuracy, 4) },
      scannedPdf: { pages: scannedPages, renderDpi: 200, seconds: round(scannedSeconds), pagesPerSecond: round(scannedPages / scannedSeconds), wordAccuracy: round(scannedAccuracy, 4) },
      nativeTesseract: native.available
        ? { ...native, ourPagesPerSecondOverTheirs: round(ocrPagesPerSecond / native.pagesPerSecond) }
        : native,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      bigText,
    };
    printTable(figures);
    printBigText(bigText);
    return figures;
  } finally {
    await analyzer.close();
  }
}

interface BigTextRun {
  documentMb: number;
  maxTextCharacters: number | null;
  outcome: string;
  seconds: number;
  resultMb: number;
  peakRssMb: number;
}

/**
 * Peak RSS of one big one-line text document (scenarios/bigText.ts, each in a child process of
 * its own): 20 MB under the default DOCBATCH_MAX_TEXT_CHARACTERS, a text just under the limit,
 * and (full runs) 20 MB with the limit lifted, which is what every document cost before it.
 */
async function bigTextFigures(options: { quick: boolean }): Promise<Record<string, BigTextRun>> {
  const underLimitMb = Math.floor((DEFAULT_MAX_TEXT_CHARACTERS * 0.95) / 1024 / 1024 * 10) / 10;
  const runs: [string, Record<string, number>][] = [
    ["20 MB, default limit", { mb: 20 }],
    [`${underLimitMb} MB, just under the limit`, { mb: underLimitMb }],
    ...(options.quick ? [] : [["20 MB, limit lifted", { mb: 20, maxTextCharacters: 50_000_000 }] as [string, Record<string, number>]]),
  ];
  const figures: Record<string, BigTextRun> = {};
  for (const [name, args] of runs) {
    const run = await runScenario<BigTextRun>("scenarios/bigText", args, { timeoutMs: 600_000 });
    figures[name] = { ...run, seconds: round(run.seconds), resultMb: round(run.resultMb, 1), peakRssMb: Math.round(run.peakRssMb) };
  }
  return figures;
}

function printBigText(figures: Record<string, BigTextRun>): void {
  console.log(`${"one-line text document".padEnd(38)}${"outcome".padStart(26)}${"peak RSS".padStart(10)}${"s".padStart(8)}`);
  for (const [name, run] of Object.entries(figures)) {
    console.log(`${name.padEnd(38)}${run.outcome.padStart(26)}${`${run.peakRssMb} MB`.padStart(10)}${run.seconds.toFixed(2).padStart(8)}`);
  }
  console.log("");
}

/** The same images through the native tesseract CLI, one process per core, one thread each. */
async function nativeTesseract(images: Uint8Array[], expected: string[][], parallel: number) {
  try {
    await run("tesseract", ["--version"]);
  } catch {
    return { available: false as const, reason: "tesseract command not found (apt-get install tesseract-ocr)" };
  }
  const folder = await mkdtemp(path.join(os.tmpdir(), "docbatch-bench-"));
  try {
    const files = await Promise.all(images.map(async (bytes, i) => {
      const file = path.join(folder, `page-${i}.png`);
      await writeFile(file, bytes);
      return file;
    }));
    const env = { ...process.env, OMP_THREAD_LIMIT: "1" };
    const limit = pLimit(parallel);
    const started = performance.now();
    const texts = await Promise.all(files.map((file) => limit(async () => (await run("tesseract", [file, "stdout", "-l", "eng"], { env })).stdout)));
    const seconds = (performance.now() - started) / 1000;
    const accuracy = mean(texts.map((text, i) => wordAccuracy(expected[i], text.split(/\s+/).filter(Boolean))));
    const { stdout } = await run("tesseract", ["--version"]);
    return {
      available: true as const,
      version: stdout.split("\n")[0],
      pages: images.length,
      seconds: round(seconds),
      pagesPerSecond: round(images.length / seconds),
      wordAccuracy: round(accuracy, 4),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function printTable(figures: {
  textPdf: { pagesPerSecond: number; wordAccuracy: number };
  ocr: { pagesPerSecond: number; wordAccuracy: number };
  scannedPdf: { pagesPerSecond: number; wordAccuracy: number };
  nativeTesseract: { available: boolean; pagesPerSecond?: number; wordAccuracy?: number; ourPagesPerSecondOverTheirs?: number };
  peakRssMB: number;
}): void {
  const rows: [string, string, string][] = [
    ["text-layer PDF", figures.textPdf.pagesPerSecond.toFixed(1), pct(figures.textPdf.wordAccuracy)],
    ["OCR, 300 dpi PNG (tesseract.js)", figures.ocr.pagesPerSecond.toFixed(2), pct(figures.ocr.wordAccuracy)],
    ["scanned PDF (render 200 dpi + OCR)", figures.scannedPdf.pagesPerSecond.toFixed(2), pct(figures.scannedPdf.wordAccuracy)],
    figures.nativeTesseract.available
      ? ["native tesseract CLI, same PNGs", figures.nativeTesseract.pagesPerSecond!.toFixed(2), pct(figures.nativeTesseract.wordAccuracy!)]
      : ["native tesseract CLI", "n/a", "n/a"],
  ];
  console.log(`\n${"analyzer".padEnd(38)}${"pages/s".padStart(10)}${"words".padStart(10)}`);
  for (const [name, rate, accuracy] of rows) console.log(`${name.padEnd(38)}${rate.padStart(10)}${accuracy.padStart(10)}`);
  if (figures.nativeTesseract.ourPagesPerSecondOverTheirs !== undefined) console.log(`OCR speed relative to native tesseract: ${figures.nativeTesseract.ourPagesPerSecondOverTheirs.toFixed(2)}x`);
  console.log(`peak RSS: ${figures.peakRssMB} MB\n`);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runAnalyzerBenchmark({ quick: process.argv.includes("--quick") });
}
