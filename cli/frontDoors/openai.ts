// The OpenAI Batch front door (`/v1/files`, `/v1/batches`), through the official `openai` client.
import { createReadStream, createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import OpenAI from "openai";
import type { Batch } from "openai/resources/batches";
import type { BatchView, FailedItem } from "../batchView.js";
import type { Connection } from "../connection.js";
import { ServiceError } from "../exitCodes.js";

export const DEFAULT_BATCH_ENDPOINT = "/v1/chat/completions";
const OPENAI_BATCH_ID = /^batch_[0-9a-f]{32}$/;
/** Failed lines shown by `status` (the error file can hold a whole batch's). */
const FAILED_LINES_SHOWN = 100;

export class OpenAiBatchDoor {
  private readonly client: OpenAI;

  constructor(connection: Connection) {
    this.client = new OpenAI({ baseURL: `${connection.url}/v1`, apiKey: connection.key, maxRetries: 2 });
  }

  /** Whether an id can be one of this front door's batches. */
  static claims(id: string): boolean {
    return OPENAI_BATCH_ID.test(id);
  }

  async upload(path: string): Promise<string> {
    return (await this.call("upload", () => this.client.files.create({ file: createReadStream(path), purpose: "batch" }))).id;
  }

  async create(inputFileId: string, endpoint: string): Promise<Batch> {
    return this.call("create batch", () => this.client.batches.create({ input_file_id: inputFileId, endpoint: endpoint as "/v1/chat/completions", completion_window: "24h" }));
  }

  /** The batch, or undefined when there is none with that id. */
  async get(id: string): Promise<Batch | undefined> {
    try {
      return await this.client.batches.retrieve(id);
    } catch (error) {
      if (error instanceof OpenAI.NotFoundError) return undefined;
      throw serviceError("retrieve batch", error);
    }
  }

  async list(limit: number): Promise<BatchView[]> {
    const page = await this.call("list batches", () => this.client.batches.list({ limit: Math.min(limit, 100) }));
    return page.data.map(batchView);
  }

  async cancel(id: string): Promise<void> {
    await this.call("cancel", () => this.client.batches.cancel(id));
  }

  /** Streams a file's content to disk. */
  async download(fileId: string, path: string): Promise<void> {
    const response = await this.call("download", () => this.client.files.content(fileId));
    await pipeline(Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>), createWriteStream(path));
  }

  /** The failed lines of a finished batch, read from its error file. */
  async failedLines(batch: Batch, limit = FAILED_LINES_SHOWN): Promise<FailedItem[]> {
    if (!batch.error_file_id) return [];
    const text = await (await this.call("error file", () => this.client.files.content(batch.error_file_id!))).text();
    return failedLinesOf(text).slice(0, limit);
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw serviceError(what, error);
    }
  }
}

/** Lines of an error file: `{ custom_id, response: { status_code, body: { error } } | null, error: { code, message } | null }`. */
export function failedLinesOf(errorFile: string): FailedItem[] {
  return errorFile
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const entry = JSON.parse(line) as {
        custom_id?: string;
        response?: { status_code?: number; body?: { error?: { message?: string; code?: string | null } } } | null;
        error?: { code?: string; message?: string } | null;
      };
      const name = entry.custom_id ?? "(no custom_id)";
      if (entry.error) return { name, code: entry.error.code || "failed", message: entry.error.message ?? "" };
      const bodyError = entry.response?.body?.error;
      const status = entry.response?.status_code;
      return { name, code: bodyError?.code || (status !== undefined ? `HTTP ${status}` : "failed"), message: [status !== undefined && bodyError?.code ? `HTTP ${status}` : "", bodyError?.message ?? ""].filter(Boolean).join(": ") };
    });
}

/** Problems of a refused input shown (the rest are counted). */
const PROBLEMS_SHOWN = 20;

export function batchView(batch: Batch): BatchView {
  const outcome =
    batch.status === "completed" ? "succeeded" : batch.status === "cancelled" ? "canceled" : batch.status === "failed" || batch.status === "expired" ? "failed" : "running";
  const counts = batch.request_counts;
  const problems = batch.errors?.data ?? [];
  const settled = (counts?.completed ?? 0) + (counts?.failed ?? 0);
  return {
    id: batch.id,
    frontDoor: "openai",
    label: batch.endpoint,
    status: batch.status,
    outcome,
    counts: {
      ...(counts?.total ? { total: counts.total } : {}),
      succeeded: counts?.completed ?? 0,
      failed: counts?.failed ?? 0,
      skipped: 0,
      ...(outcome === "canceled" && counts?.total ? { canceled: Math.max(0, counts.total - settled) } : {}),
    },
    createdAt: new Date(batch.created_at * 1000).toISOString(),
    ...(problems.length
      ? { problems: problems.slice(0, PROBLEMS_SHOWN).map(problemLine), problemCount: problems.length }
      : batch.status === "expired"
        ? { error: "The batch expired before every line ran." }
        : {}),
  };
}

/** `line 2  invalid_json_line  is not valid JSON ...`: the line number once, not again in the message. */
function problemLine(problem: { code?: string; line?: number | null; message?: string }): string {
  const message = (problem.message ?? "").replace(/^Line \d+:?\s*/, "");
  return [problem.line ? `line ${problem.line}` : undefined, problem.code, message].filter(Boolean).join("  ");
}

function serviceError(what: string, error: unknown): Error {
  if (error instanceof OpenAI.APIError) return new ServiceError(`OpenAI ${what} answered ${error.status ?? "no status"}: ${error.message}`, Number(error.status ?? 0));
  return error as Error;
}
