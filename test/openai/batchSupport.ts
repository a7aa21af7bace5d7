import OpenAI, { toFile } from "openai";
import type { Batch } from "openai/resources/batches";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";

export const MODEL = "gpt-4o-mini";
export const API_VERSION = "2024-10-21";

export interface RequestLine {
  custom_id: string;
  method: string;
  url: string;
  body: Record<string, unknown>;
}

export function chatLine(i: number, overrides: Partial<RequestLine> = {}): RequestLine {
  return { custom_id: `task-${i}`, method: "POST", url: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: `question ${i}` }], max_tokens: 20 }, ...overrides };
}

export function jsonlOf(lines: readonly unknown[]): string {
  return `${lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n")}\n`;
}

export async function uploadJsonl(client: OpenAI, content: string, name = "requests.jsonl"): Promise<string> {
  return (await client.files.create({ file: await toFile(Buffer.from(content), name), purpose: "batch" })).id;
}

const FINAL = new Set(["completed", "failed", "expired", "cancelled"]);

/** Polls as a caller would until the batch is final (or `until` holds). */
export async function waitForBatch(client: OpenAI, id: string, until: (batch: Batch) => boolean = (batch) => FINAL.has(batch.status)): Promise<Batch> {
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (until(batch) || FINAL.has(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function fileLines(client: OpenAI, id: string | null | undefined): Promise<any[]> {
  if (!id) throw new Error("no file id");
  const text = await (await client.files.content(id)).text();
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/** A promise the test opens when it wants the fake upstream to answer. */
export function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

export interface BatchHostOptions {
  /** Models the fake upstream serves and DOCBATCH_LLM_MODELS names (default MODEL). */
  models?: string[];
  maxConcurrentActivities?: number;
  env?: Record<string, string>;
}

/**
 * A fake OpenAI upstream and docbatch in front of it, every answer checked against /openapi.json,
 * with rate limits high enough never to pace a test.
 */
export async function startBatchHost(options: BatchHostOptions = {}): Promise<{ fake: FakeOpenAiUpstream; docbatch: Docbatch }> {
  const models = options.models ?? [MODEL];
  const fake = await startFakeOpenAiUpstream({ models });
  try {
    const docbatch = await startDocbatch({
      checkOpenApi: true,
      maxConcurrentActivities: options.maxConcurrentActivities,
      env: { DOCBATCH_LLM_ENDPOINT: fake.baseUrl, DOCBATCH_LLM_MODELS: models.join(","), DOCBATCH_LLM_REQUESTS_PER_MINUTE: "60000", DOCBATCH_LLM_TOKENS_PER_MINUTE: "100000000", ...options.env },
    });
    return { fake, docbatch };
  } catch (error) {
    await fake.close();
    throw error;
  }
}
