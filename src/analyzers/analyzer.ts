import type { AnalyzeResult, ContentFormat, StringIndexType } from "./analyzeResult.js";

/** Request options of `analyzeBatch` that reach the analyzer of each document. */
export interface AnalyzeOptions {
  /** 1-based page selection as sent by the caller, e.g. "1-3,5". */
  pages?: string;
  locale?: string;
  stringIndexType: StringIndexType;
  outputContentFormat: ContentFormat;
  features: string[];
  queryFields: string[];
}

export interface AnalyzeInput {
  modelId: string;
  bytes: Uint8Array;
  /** The document's name (blob path); informative only, type detection uses the bytes. */
  name: string;
  /** Content type from blob properties, if any; informative only. */
  contentType?: string;
  options: AnalyzeOptions;
  /** Aborted when the document's time limit passes or the batch is canceled. */
  signal?: AbortSignal;
  /**
   * Text layers only, no OCR: scanned PDF pages and images keep their size and hold no text.
   * The offline reader honours it; a cloud service always reads everything.
   */
  textLayerOnly?: boolean;
}

/**
 * Failure codes an analyzer reports for one document. They become the document's
 * `error.innererror.code` (the outer code is `InvalidRequest` for content problems).
 */
export type AnalyzerFailureCode =
  | "InvalidContent"
  | "UnsupportedContent"
  | "ContentTooLarge"
  | "PasswordProtected"
  | "InvalidPages"
  | "Timeout"
  | "ModelNotFound"
  | "ServiceUnavailable"
  | "Throttled"
  | "InternalServerError";

/** The error a remote service (Document Intelligence) answered with, passed on as it came. */
export interface ServiceErrorDetail {
  code: string;
  message: string;
  target?: string;
  innererror?: { code?: string; message?: string };
}

/** A typed, per-document failure. `transient` failures are retried by the caller. */
export class AnalyzerError extends Error {
  override readonly name = "AnalyzerError";
  constructor(
    readonly code: AnalyzerFailureCode,
    message: string,
    readonly options: { transient?: boolean; retryAfterMs?: number; cause?: unknown; serviceError?: ServiceErrorDetail } = {},
  ) {
    super(message, { cause: options.cause });
  }
  get transient(): boolean {
    return this.options.transient ?? false;
  }
}

export interface ModelDescription {
  modelId: string;
  description: string;
  /** Where the analysis runs. */
  runsOn: "offline" | "documentIntelligence" | "openai";
}

/** One analyzer serves one or more model ids. */
export interface Analyzer {
  readonly models: readonly ModelDescription[];
  analyze(input: AnalyzeInput): Promise<AnalyzeResult>;
  /** Releases workers and connections. */
  close?(): Promise<void>;
}
