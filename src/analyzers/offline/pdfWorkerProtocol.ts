/**
 * Messages between the main thread (pdfWorkerPool.ts) and a PDF worker thread (pdfWorker.ts).
 * One worker serves one document at a time; `session` tells documents apart so that a late
 * answer about an earlier document is never taken for the current one.
 */
import type { AnalyzerFailureCode } from "../analyzer.js";
import type { PdfPageContent, PdfPageRequest } from "./pdfPageReader.js";

export type PdfWorkerRequest =
  /** `data` is transferred: the worker owns the bytes from then on. */
  | { type: "open"; session: number; data: Uint8Array }
  | { type: "page"; session: number; request: number; pageNumber: number; page: PdfPageRequest }
  | { type: "close"; session: number };

/** An error as it crosses the thread boundary (classes do not survive structured cloning). */
export interface PdfWorkerFailure {
  /** Set for AnalyzerErrors; absent for unexpected errors. */
  code?: AnalyzerFailureCode;
  message: string;
}

export type PdfWorkerReply =
  | { type: "opened"; session: number; pageCount: number }
  | { type: "page"; session: number; request: number; content: PdfPageContent }
  | { type: "failed"; session: number; request?: number; error: PdfWorkerFailure };
