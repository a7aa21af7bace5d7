// The DocuDevs upload-batch front door (`/document/batch`, `/job/...`), over plain HTTP as their
// docs show it. It has no cancel of its own: cancel goes through the dashboard API.
import { openAsBlob } from "node:fs";
import type { BatchView, FailedItem } from "../batchView.js";
import type { Connection } from "../connection.js";
import { ServiceError } from "../exitCodes.js";
import { DashboardApi, type DashboardBatch } from "./dashboard.js";

/** The fields of DocuDevs' ProcessingJob the CLI reads. */
export interface ProcessingJob {
  guid: string;
  status: "PENDING" | "PROCESSING" | "COMPLETED" | "ERROR";
  totalDocs: number;
  completedDocs: number;
  failedDocs: number;
  inProgressDocs: number;
  maxConcurrency: number;
  error: string | null;
  tokenCount: number;
  createdAt?: string;
  updatedAt?: string;
}

export interface UploadCommand {
  prompt?: string;
  /** A JSON Schema or an example-shaped object, as a string (DocuDevs' wire form). */
  schema?: string;
}

/** The dashboard's name for upload batches (src/kinds/uploadBatch/spec.ts). */
const UPLOAD_BATCH_KIND = "uploadBatch";
const ERROR_PREFIX = "Error: ";

export class UploadBatchDoor {
  private readonly dashboard: DashboardApi;

  constructor(private readonly connection: Connection) {
    this.dashboard = new DashboardApi(connection);
  }

  async create(options: { maxConcurrency?: number }): Promise<{ jobGuid: string; maxConcurrency: number }> {
    return this.call("create batch", "POST", "/document/batch", { json: options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {} });
  }

  /** Streams one file from disk; answers the index docbatch gave it. */
  async upload(guid: string, file: { path: string; name: string; mimeType: string }): Promise<{ index: number }> {
    const form = new FormData();
    form.append("document", await openAsBlob(file.path, { type: file.mimeType }), file.name);
    return this.call(`upload ${file.name}`, "POST", `/document/batch/${guid}/upload`, { form });
  }

  async process(guid: string, command: UploadCommand): Promise<void> {
    await this.call("process", "POST", `/document/batch/${guid}/process`, { json: command });
  }

  /** The job, or undefined when there is none with that id. */
  async status(guid: string): Promise<ProcessingJob | undefined> {
    return this.call("status", "GET", `/job/status/${encodeURIComponent(guid)}`, { notFound: undefined });
  }

  /** One entry per upload, in upload order: the result, `"Error: ..."`, or null while pending. */
  async results(guid: string): Promise<unknown[]> {
    return this.call("results", "GET", `/job/result/${guid}/json`);
  }

  /** Newest jobs first (DocuDevs lists them in that order), with docbatch's own counts. */
  async list(limit: number): Promise<BatchView[]> {
    const [page, own] = await Promise.all([
      this.call<{ content: ProcessingJob[] }>("list", "GET", `/job/list?page=0&size=${Math.min(limit, 1000)}`),
      this.dashboard.batches(UPLOAD_BATCH_KIND),
    ]);
    const byId = new Map(own.map((batch) => [batch.batchId, batch]));
    return page.content.map((job) => jobView(job, byId.get(job.guid)));
  }

  /** The job in DocuDevs' words, with docbatch's own counts (canceled apart from failed); undefined when there is none. */
  async view(guid: string): Promise<BatchView | undefined> {
    const [job, own] = await Promise.all([this.status(guid), this.dashboard.batch(UPLOAD_BATCH_KIND, guid)]);
    return job && jobView(job, own);
  }

  /**
   * The failed documents with their codes, by the names they were uploaded under: `names[index]`
   * when the CLI uploaded them, else the name docbatch's message starts with ("<file>: <why>";
   * docbatch numbers upload-batch items, it does not name them).
   */
  async failed(guid: string, names: readonly (string | undefined)[] = []): Promise<FailedItem[]> {
    return (await this.dashboard.failedItems(UPLOAD_BATCH_KIND, guid)).map(({ index, code, message }) => {
      const { file, why } = namedMessage(message, names[index]);
      return { name: file ?? `document ${index}`, code, message: why };
    });
  }

  cancel(guid: string): Promise<void> {
    return this.dashboard.cancel(UPLOAD_BATCH_KIND, guid);
  }

  private async call<T>(what: string, method: string, path: string, options: { json?: unknown; form?: FormData; notFound?: T } = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.connection.key}` };
    let body: BodyInit | undefined;
    if (options.form) body = options.form;
    else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    }
    const response = await fetch(`${this.connection.url}${path}`, { method, headers, body });
    if (response.status === 404 && "notFound" in options) return options.notFound as T;
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // Not DocuDevs' JSON error: the text as it came.
      }
      throw new ServiceError(`upload batches: ${what} answered ${response.status}: ${message}`, response.status);
    }
    return JSON.parse(text) as T;
  }
}

/** `own`: the dashboard's view of the same batch, whose counts keep canceled documents apart (DocuDevs counts them failed). */
export function jobView(job: ProcessingJob, own?: DashboardBatch): BatchView {
  // DocuDevs says ERROR for a canceled batch too; docbatch's own view tells them apart.
  const outcome = job.status === "COMPLETED" ? "succeeded" : job.status === "ERROR" ? (own?.state === "canceled" ? "canceled" : "failed") : "running";
  return {
    id: job.guid,
    frontDoor: "uploadBatch",
    label: "extraction",
    status: job.status,
    outcome,
    counts: own ? { total: job.totalDocs, ...own.counts } : { total: job.totalDocs, succeeded: job.completedDocs, failed: job.failedDocs, skipped: 0 },
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.status === "ERROR" && job.error ? { error: job.error } : {}),
  };
}

/** A message without the file name it starts with: the name given, or the one found there. */
function namedMessage(message: string, name: string | undefined): { file?: string; why: string } {
  if (name) return { file: name, why: message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message };
  const split = /^([^:]+): (.*)$/s.exec(message);
  return split ? { file: split[1], why: split[2] } : { why: message };
}

/** One document of a batch's results, named. */
export interface UploadOutcome {
  file: string;
  result?: unknown;
  error?: string;
}

/**
 * The results list with names: the ones the CLI uploaded (`names[index]`), else the name that
 * docbatch's errors ("<file>: <why>") carry. The name is not repeated in the error.
 */
export function uploadOutcomes(results: readonly unknown[], names: readonly (string | undefined)[] = []): UploadOutcome[] {
  return results.map((entry, index) => {
    const error = typeof entry === "string" && entry.startsWith(ERROR_PREFIX) ? entry.slice(ERROR_PREFIX.length) : undefined;
    if (error === undefined) return { file: names[index] ?? `document ${index}`, result: entry };
    const { file, why } = namedMessage(error, names[index]);
    return { file: file ?? `document ${index}`, error: why };
  });
}
