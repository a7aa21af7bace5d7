/**
 * A fixed set of tesseract.js workers (worker threads running the WASM engine), started on
 * first use and reused for every document: starting one costs ~0.5 s. A job that outlives its
 * signal gets its worker terminated and replaced, so a stuck page never blocks the pool nor the
 * process.
 */
import { createRequire } from "node:module";
import path from "node:path";
import type { Worker as NodeWorker } from "node:worker_threads";
import { createWorker, OEM, type Worker as TesseractWorker, type Page } from "tesseract.js";
import { AnalyzerError } from "../analyzer.js";
import { documentTimeout, SlotQueue } from "./slotQueue.js";

const require = createRequire(import.meta.url);

/** The English model shipped in node_modules: never downloaded at run time. */
export function localEnglishModelFolder(): string {
  return path.join(path.dirname(require.resolve("@tesseract.js-data/eng/package.json")), "4.0.0_best_int");
}

export interface OcrBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
export interface OcrWord {
  text: string;
  box: OcrBox;
  /** 0-1. */
  confidence: number;
}
export interface OcrLine {
  words: OcrWord[];
  box: OcrBox;
  /** Start and end of the baseline: its slope is the page's skew. */
  baseline?: OcrBox;
}
export interface OcrParagraph {
  lines: OcrLine[];
  box: OcrBox;
}
/** What OCR found on one image, in reading order; boxes in the image's pixels. */
export interface OcrPage {
  paragraphs: OcrParagraph[];
}

interface Slot {
  worker?: Promise<TesseractWorker>;
  busy: boolean;
  /** Fails the running job when the worker thread dies. */
  onDeath?: (error: Error) => void;
}

export interface OcrPoolOptions {
  size: number;
  /** Folder holding eng.traineddata.gz; defaults to the local package. */
  langPath?: string;
}

export class OcrPool {
  private readonly slots: Slot[];
  private readonly queue: SlotQueue<Slot>;
  private closed = false;
  private readonly langPath: string;
  /** Workers started so far (replacements included), for tests and diagnostics. */
  workersStarted = 0;

  constructor(options: OcrPoolOptions) {
    this.slots = Array.from({ length: Math.max(1, options.size) }, () => ({ busy: false }));
    this.queue = new SlotQueue(this.slots, () => new AnalyzerError("Timeout", "The OCR pool was closed.", { transient: true }));
    this.langPath = options.langPath ?? localEnglishModelFolder();
  }

  get size(): number {
    return this.slots.length;
  }

  /** OCR of one encoded image (PNG, JPEG, ...). Rejects with `Timeout` when the signal aborts. */
  async recognize(image: Buffer, signal?: AbortSignal): Promise<OcrPage> {
    if (this.closed) throw new Error("OCR pool is closed");
    signal?.throwIfAborted();
    const slot = await this.queue.acquire(signal);
    try {
      const starting = this.workerOf(slot);
      const worker = await starting;
      // The pool may have been closed, or the document timed out, while the worker started.
      if (slot.worker !== starting || this.closed) throw new AnalyzerError("Timeout", "The OCR pool was closed.", { transient: true });
      if (signal?.aborted) throw documentTimeout(signal);
      const job = worker.recognize(image, {}, { blocks: true, text: false });
      const page = await this.raceWithSignal(slot, job, signal);
      return toOcrPage(page.data);
    } finally {
      this.queue.release(slot);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.close();
    await Promise.all(this.slots.map((slot) => this.recycle(slot)));
  }

  private workerOf(slot: Slot): Promise<TesseractWorker> {
    if (!slot.worker) {
      this.workersStarted++;
      slot.worker = this.startWorker(slot);
      // A worker that fails to start is forgotten so the next job tries again.
      slot.worker.catch(() => {
        slot.worker = undefined;
      });
    }
    return slot.worker;
  }

  private async startWorker(slot: Slot): Promise<TesseractWorker> {
    const worker = await createWorker("eng", OEM.LSTM_ONLY, {
      langPath: this.langPath,
      gzip: true,
      // Never read or write a cache (it would land in the working directory) nor download.
      cacheMethod: "none",
      // Without a handler tesseract.js rethrows job errors from its message listener, which
      // crashes the process; the job's promise is rejected either way.
      errorHandler: () => {},
      logger: () => {},
    });
    const thread = (worker as unknown as { worker?: NodeWorker }).worker;
    thread?.on("error", (error) => slot.onDeath?.(error instanceof Error ? error : new Error(String(error))));
    thread?.on("exit", () => slot.onDeath?.(new Error("OCR worker exited")));
    // Layout analysis for a page of text, keep spaces as written.
    await worker.setParameters({ preserve_interword_spaces: "1" });
    return worker;
  }

  private raceWithSignal<T>(slot: Slot, job: Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = () => {
        signal?.removeEventListener("abort", onAbort);
        slot.onDeath = undefined;
      };
      const onAbort = () => {
        finish();
        // The engine cannot be interrupted: drop the whole worker, a fresh one replaces it.
        void this.recycle(slot);
        reject(documentTimeout(signal));
      };
      slot.onDeath = (error) => {
        finish();
        slot.worker = undefined;
        reject(new AnalyzerError("InternalServerError", `OCR worker failed: ${error.message}`, { transient: true, cause: error }));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      job.then(
        (value) => {
          finish();
          resolve(value);
        },
        (error: unknown) => {
          finish();
          reject(new AnalyzerError("InvalidContent", `OCR failed: ${String(error)}`, { cause: error }));
        },
      );
    });
  }

  private async recycle(slot: Slot): Promise<void> {
    const worker = slot.worker;
    slot.worker = undefined;
    slot.onDeath = undefined;
    // Let a job that is being handed over reach the worker first: tesseract.js posts it after an
    // await, and posting to a terminated worker throws where nobody can catch it.
    await new Promise((resolve) => setImmediate(resolve));
    if (worker) await worker.then((w) => w.terminate(), () => undefined);
  }
}

const round = (box: { x0: number; y0: number; x1: number; y1: number }): OcrBox => ({ x0: box.x0, y0: box.y0, x1: box.x1, y1: box.y1 });

function toOcrPage(page: Page): OcrPage {
  const paragraphs: OcrParagraph[] = [];
  for (const block of page.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      const lines: OcrLine[] = [];
      for (const line of paragraph.lines) {
        const words = line.words
          .filter((word) => word.text.trim() !== "")
          .map((word) => ({ text: word.text.trim(), box: round(word.bbox), confidence: Math.max(0, Math.min(1, word.confidence / 100)) }));
        if (words.length) lines.push({ words, box: round(line.bbox), ...(line.baseline ? { baseline: round(line.baseline) } : {}) });
      }
      if (lines.length) paragraphs.push({ lines, box: round(paragraph.bbox) });
    }
  }
  return { paragraphs };
}
