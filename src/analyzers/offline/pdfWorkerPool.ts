/**
 * A small pool of worker threads that read PDFs (pdfWorker.ts), so that pdfjs parsing and
 * canvas rendering never run on the main thread. Workers start on first need and are reused by
 * every document. A document whose time limit passes, or whose worker dies (out of memory, a
 * native fault), loses only its own worker: the thread is terminated and a fresh one starts for
 * the next document.
 *
 * Hand-written rather than piscina: a document is a conversation with its worker (open, then
 * one page at a time while the main thread OCRs the page before), which a one-task-one-answer
 * pool does not model without buffering every rendered page.
 */
import { Worker } from "node:worker_threads";
import { AnalyzerError } from "../analyzer.js";
import { documentTimeout, SlotQueue } from "./slotQueue.js";
import type { PdfPageContent, PdfPageRequest } from "./pdfPageReader.js";
import type { PdfWorkerFailure, PdfWorkerReply, PdfWorkerRequest } from "./pdfWorkerProtocol.js";

export interface PdfWorkerPoolOptions {
  /** Worker threads at most. */
  size: number;
  /** V8 heap limit of one worker in MB (default 1024): a document that needs more fails alone. */
  maxHeapMb?: number;
}

/** One document open in one worker, from `open()` until `release()`. */
export interface PdfSession {
  readonly pageCount: number;
  /** The text layer of a page (1-based); when it has none, the page rendered at `ocrDpi` (or only its size without one). */
  readPage(pageNumber: number, page: PdfPageRequest): Promise<PdfPageContent>;
  /** Gives the worker back to the pool. Safe to call more than once. */
  release(): void;
}

interface Slot {
  worker?: Worker;
  busy: boolean;
  session?: WorkerSession;
}

const workerUrl = new URL("./pdfWorker.js", import.meta.url);

export class PdfWorkerPool {
  private readonly slots: Slot[];
  private readonly queue: SlotQueue<Slot>;
  private readonly live = new Set<Worker>();
  private readonly stopping = new Set<Promise<unknown>>();
  private closed = false;
  private nextSession = 1;
  private readonly maxHeapMb: number;
  /** Workers started so far (replacements included), for tests and diagnostics. */
  workersStarted = 0;

  constructor(options: PdfWorkerPoolOptions) {
    this.slots = Array.from({ length: Math.max(1, options.size) }, () => ({ busy: false }));
    this.queue = new SlotQueue(this.slots, closedError);
    this.maxHeapMb = options.maxHeapMb ?? 1024;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Worker threads that have not exited yet. */
  get liveWorkers(): number {
    return this.live.size;
  }

  /**
   * Opens a PDF in a free worker (waiting for one if all are busy). The bytes are copied once and
   * the copy is transferred, so the caller's array stays usable. Rejects with `Timeout` when the
   * signal aborts, with `InvalidContent`/`PasswordProtected` for PDFs pdfjs cannot open.
   */
  async open(bytes: Uint8Array, signal?: AbortSignal): Promise<PdfSession> {
    if (this.closed) throw closedError();
    if (signal?.aborted) throw documentTimeout(signal);
    const slot = await this.queue.acquire(signal);
    const session = new WorkerSession(this, slot, this.nextSession++, signal);
    try {
      await session.start(bytes);
      return session;
    } catch (error) {
      session.release();
      throw error;
    }
  }

  /** Terminates every worker; running documents fail with a transient `Timeout`. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.close();
    for (const slot of this.slots) {
      slot.session?.fail(closedError());
      this.discardWorker(slot);
    }
    await Promise.all(this.stopping);
  }

  /** The slot's worker, started if it has none. */
  workerOf(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const worker = new Worker(workerUrl, { resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb } });
    this.workersStarted++;
    this.live.add(worker);
    // An idle worker must not keep the process alive; a busy one is referenced by its session.
    worker.unref();
    let death: unknown;
    worker.on("message", (reply: PdfWorkerReply) => {
      if (slot.worker === worker && slot.session?.id === reply.session) slot.session.receive(reply);
    });
    worker.on("error", (error) => {
      death = error;
    });
    worker.on("exit", (exitCode) => {
      this.live.delete(worker);
      if (slot.worker !== worker) return;
      // Died by itself (out of memory, native fault, uncaught error): only its document fails.
      slot.worker = undefined;
      const reason = death instanceof Error ? death.message : `exit code ${exitCode}`;
      slot.session?.fail(new AnalyzerError("InvalidContent", `The PDF reader stopped on this document: ${reason}`, { cause: death }));
    });
    slot.worker = worker;
    return worker;
  }

  /** Terminates the slot's worker (a new one starts on next need). */
  discardWorker(slot: Slot): void {
    const worker = slot.worker;
    slot.worker = undefined;
    if (!worker) return;
    const stopped = worker.terminate().catch(() => undefined);
    this.stopping.add(stopped);
    void stopped.finally(() => this.stopping.delete(stopped));
  }

  release(slot: Slot): void {
    slot.session = undefined;
    slot.worker?.unref();
    this.queue.release(slot);
  }
}

interface Pending {
  resolve(value: PdfWorkerReply): void;
  reject(error: AnalyzerError): void;
}

/** The main thread's side of one document's conversation with its worker. */
class WorkerSession implements PdfSession {
  pageCount = 0;
  private readonly pending = new Map<number, Pending>();
  private nextRequest = 1;
  /** Set once the session cannot go on: every later request fails with it. */
  private failure: AnalyzerError | undefined;
  private released = false;
  private readonly onAbort = () => {
    // pdfjs cannot be interrupted, and a synchronous loop in it would never read a message:
    // the only way to stop the work is to end the thread.
    this.fail(documentTimeout(this.signal));
    this.pool.discardWorker(this.slot);
    this.release();
  };

  constructor(
    private readonly pool: PdfWorkerPool,
    private readonly slot: Slot,
    readonly id: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    slot.session = this;
    signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  async start(bytes: Uint8Array): Promise<void> {
    const worker = this.pool.workerOf(this.slot);
    worker.ref();
    const data = new Uint8Array(bytes);
    const reply = await this.ask(0, { type: "open", session: this.id, data }, [data.buffer]);
    if (reply.type === "opened") this.pageCount = reply.pageCount;
  }

  async readPage(pageNumber: number, page: PdfPageRequest): Promise<PdfPageContent> {
    const request = this.nextRequest++;
    const reply = await this.ask(request, { type: "page", session: this.id, request, pageNumber, page });
    if (reply.type !== "page") throw new AnalyzerError("InternalServerError", `Unexpected answer from the PDF reader: ${reply.type}`);
    return reply.content;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.signal?.removeEventListener("abort", this.onAbort);
    // A page still being read (the one read ahead when OCR failed) could take any time: the
    // next document gets a fresh worker rather than wait behind it.
    const abandoned = this.pending.size > 0;
    this.fail(new AnalyzerError("InternalServerError", "The PDF session was released."));
    if (abandoned) this.pool.discardWorker(this.slot);
    // Otherwise the worker closes the document before it reads the next one's first message.
    else this.slot.worker?.postMessage({ type: "close", session: this.id } satisfies PdfWorkerRequest);
    this.pool.release(this.slot);
  }

  receive(reply: PdfWorkerReply): void {
    if (reply.type === "failed" && reply.request === undefined) {
      // A failure outside any page request (opening the document, or a broken request).
      for (const [request, pending] of this.pending) {
        this.pending.delete(request);
        pending.reject(fromFailure(reply.error));
      }
      return;
    }
    const request = reply.type === "opened" ? 0 : reply.request!;
    const pending = this.pending.get(request);
    if (!pending) return;
    this.pending.delete(request);
    if (reply.type === "failed") pending.reject(fromFailure(reply.error));
    else pending.resolve(reply);
  }

  /** Fails every waiting and later request with `error` (the first failure wins). */
  fail(error: AnalyzerError): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }

  private ask(request: number, message: PdfWorkerRequest, transfer: ArrayBuffer[] = []): Promise<PdfWorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.slot.worker;
    if (!worker) return Promise.reject(new AnalyzerError("InternalServerError", "The PDF worker is gone."));
    return new Promise<PdfWorkerReply>((resolve, reject) => {
      this.pending.set(request, { resolve, reject });
      worker.postMessage(message, transfer);
    });
  }
}

function fromFailure(failure: PdfWorkerFailure): AnalyzerError {
  if (failure.code) return new AnalyzerError(failure.code, failure.message);
  return new AnalyzerError("InternalServerError", `The PDF reader failed: ${failure.message}`);
}

function closedError(): AnalyzerError {
  return new AnalyzerError("Timeout", "The PDF reader was closed.", { transient: true });
}
