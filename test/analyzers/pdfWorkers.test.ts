import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AnalyzerError } from "../../src/analyzers/analyzer.js";
import { createOfflineAnalyzer } from "../../src/analyzers/offline/offlineAnalyzer.js";
import { makeTextPdf, SAMPLE_LINES, wordsOf } from "../support/documents.js";
import { options, resultWords } from "./helpers.js";
import { makeHugeTextLayerPdf, makeSlowShadingPdf } from "./pathologicalPdf.js";

const failsWith = (code: string) => (error: unknown) => error instanceof AnalyzerError && error.code === code;
const ordinaryPdf = () => makeTextPdf([{ blocks: [{ lines: SAMPLE_LINES.slice(0, 4), size: 11 }] }]);

/** Counts event-loop turns while `work` runs: they only happen if the main thread is free. */
async function countTicks<T>(work: Promise<T>): Promise<{ ticks: number; settled: Promise<T> }> {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  const settled = work.finally(() => clearInterval(ticker));
  await settled.catch(() => undefined);
  return { ticks, settled };
}

describe("offline reader: PDF worker threads", () => {
  it("a PDF that renders for far longer than its time limit fails with Timeout while the main thread runs on, and the worker is replaced", async () => {
    const analyzer = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 60_000 });
    try {
      const slow = await makeSlowShadingPdf();
      const { ticks, settled } = await countTicks(
        analyzer.analyze({ modelId: "prebuilt-read", bytes: slow, name: "slow.pdf", options: options(), signal: AbortSignal.timeout(1000) }),
      );
      await assert.rejects(settled, failsWith("Timeout"));
      // pdfjs paints this shading in one synchronous call of ~45 s: on the main thread no timer
      // would have fired before it ended.
      assert.ok(ticks >= 3, `the event loop turned ${ticks} times`);

      const pdf = await ordinaryPdf();
      const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "next.pdf", options: options() });
      assert.deepEqual(resultWords(result), wordsOf(pdf.pages.flat()));
      assert.equal(analyzer.pdf.workersStarted, 2, "the stuck worker was replaced by a fresh one");
    } finally {
      await analyzer.close();
    }
    assert.equal(analyzer.pdf.liveWorkers, 0);
  });

  it("while one worker is stuck on a PDF, another reads the next document", async () => {
    const analyzer = createOfflineAnalyzer({ ocrWorkers: 2, pdfWorkers: 2, timeoutMs: 60_000 });
    try {
      const pdf = await ordinaryPdf();
      const slow = await makeSlowShadingPdf();
      const [stuck, ordinary] = await Promise.allSettled([
        analyzer.analyze({ modelId: "prebuilt-read", bytes: slow, name: "slow.pdf", options: options(), signal: AbortSignal.timeout(1000) }),
        analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "a.pdf", options: options() }),
      ]);
      assert.ok(stuck.status === "rejected" && failsWith("Timeout")(stuck.reason), String(stuck.status === "rejected" ? stuck.reason : "resolved"));
      assert.ok(ordinary.status === "fulfilled", String(ordinary.status === "rejected" ? ordinary.reason : ""));
      assert.deepEqual(resultWords(ordinary.value), wordsOf(pdf.pages.flat()));
      assert.equal(analyzer.pdf.workersStarted, 2);
    } finally {
      await analyzer.close();
    }
    assert.equal(analyzer.pdf.liveWorkers, 0);
  });

  it("the analyzer's own time limit stops the PDF's worker; close() leaves no worker running", async () => {
    const analyzer = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 1000 });
    try {
      const slow = await makeSlowShadingPdf();
      await assert.rejects(analyzer.analyze({ modelId: "prebuilt-read", bytes: slow, name: "slow.pdf", options: options() }), failsWith("Timeout"));
      assert.equal(analyzer.pdf.workersStarted, 1);
    } finally {
      await analyzer.close();
    }
    assert.equal(analyzer.pdf.liveWorkers, 0);
  });

  it("a worker that runs out of memory fails only its document, with InvalidContent", async () => {
    // A small heap for the test (an ordinary PDF needs less than 24 MB); the default is 1 GB.
    const analyzer = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 60_000, pdfWorkerMaxHeapMb: 48 });
    try {
      const huge = await makeHugeTextLayerPdf();
      await assert.rejects(
        analyzer.analyze({ modelId: "prebuilt-read", bytes: huge, name: "huge.pdf", options: options() }),
        (error: unknown) => failsWith("InvalidContent")(error) && /memory/i.test((error as Error).message),
      );
      const pdf = await ordinaryPdf();
      const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "next.pdf", options: options() });
      assert.deepEqual(resultWords(result), wordsOf(pdf.pages.flat()));
      assert.equal(analyzer.pdf.workersStarted, 2);
    } finally {
      await analyzer.close();
    }
    assert.equal(analyzer.pdf.liveWorkers, 0);
  });

  it("closing the analyzer while a PDF is being read fails that document and stops its worker", async () => {
    const analyzer = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 60_000 });
    const slow = await makeSlowShadingPdf();
    const reading = analyzer.analyze({ modelId: "prebuilt-read", bytes: slow, name: "slow.pdf", options: options() });
    // Close once the document is in its worker (the pool started one for it).
    while (analyzer.pdf.workersStarted === 0) await new Promise((resolve) => setImmediate(resolve));
    const failed = assert.rejects(reading, (error: unknown) => failsWith("Timeout")(error) && (error as AnalyzerError).transient);
    await analyzer.close();
    await failed;
    assert.equal(analyzer.pdf.liveWorkers, 0);
  });

  it("the caller's bytes are left intact (the worker gets a transferred copy)", async () => {
    const analyzer = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 60_000 });
    try {
      const pdf = await ordinaryPdf();
      const before = Buffer.from(pdf.bytes);
      await analyzer.analyze({ modelId: "prebuilt-read", bytes: pdf.bytes, name: "a.pdf", options: options() });
      assert.equal(pdf.bytes.byteLength, before.byteLength);
      assert.ok(before.equals(pdf.bytes));
    } finally {
      await analyzer.close();
    }
  });
});
