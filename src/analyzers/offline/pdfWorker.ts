/**
 * Entry point of a PDF worker thread: opens the document it is sent and reads the pages it is
 * asked for, one message at a time. Started by pdfWorkerPool.ts; terminated by it when a
 * document outlives its time limit.
 */
import { parentPort } from "node:worker_threads";
import { AnalyzerError } from "../analyzer.js";
import { openPdf, type OpenPdf } from "./pdfPageReader.js";
import type { PdfWorkerFailure, PdfWorkerReply, PdfWorkerRequest } from "./pdfWorkerProtocol.js";

if (!parentPort) throw new Error("pdfWorker.js runs as a worker thread only.");
const port = parentPort;

let current: { session: number; pdf: OpenPdf } | undefined;
// Requests run strictly in order: a "close" waits for the page being read before it.
let queue: Promise<void> = Promise.resolve();

port.on("message", (request: PdfWorkerRequest) => {
  queue = queue.then(() => handle(request));
});

async function handle(request: PdfWorkerRequest): Promise<void> {
  const send = (reply: PdfWorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
  try {
    switch (request.type) {
      case "open": {
        await closeCurrent();
        current = { session: request.session, pdf: await openPdf(request.data) };
        send({ type: "opened", session: request.session, pageCount: current.pdf.pageCount });
        break;
      }
      case "page": {
        if (current?.session !== request.session) throw new Error(`No open PDF for session ${request.session}.`);
        try {
          const content = await current.pdf.readPage(request.pageNumber, request.page);
          // The rendered PNG moves to the main thread without a copy.
          send({ type: "page", session: request.session, request: request.request, content }, content.kind === "scan" ? [content.png.buffer as ArrayBuffer] : []);
        } catch (error) {
          send({ type: "failed", session: request.session, request: request.request, error: toFailure(error) });
        }
        break;
      }
      case "close":
        if (current?.session === request.session) await closeCurrent();
        break;
    }
  } catch (error) {
    send({ type: "failed", session: request.session, error: toFailure(error) });
  }
}

async function closeCurrent(): Promise<void> {
  const open = current;
  current = undefined;
  await open?.pdf.close().catch(() => undefined);
}

function toFailure(error: unknown): PdfWorkerFailure {
  if (error instanceof AnalyzerError) return { code: error.code, message: error.message };
  return { message: (error as Error)?.message ?? String(error) };
}
