import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI, { AzureOpenAI, toFile } from "openai";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";

// Small enough that the refusal comes while the file part streams, not from Content-Length.
const FILE_LIMIT = 256 * 1024;
const TOO_LARGE = Buffer.alloc(FILE_LIMIT * 3, "a");
/** Bounded waits that fail only on a hang (the bug: the next request was never answered). */
const HANG = 20_000;

describe("the app answers the next requests after a files upload was refused with 413", () => {
  let docbatch: Docbatch;
  let auth: Record<string, string>;
  before(async () => {
    docbatch = await startDocbatch({ env: { DOCBATCH_OPENAI_MAX_FILE_BYTES: String(FILE_LIMIT) } });
    auth = { authorization: `Bearer ${docbatch.apiKey}` };
  });
  after(async () => docbatch?.close());

  async function assertAnswering(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const health = await fetch(`${docbatch.host.url}/health`, { signal: AbortSignal.timeout(HANG) });
      assert.equal(health.status, 200);
      await health.arrayBuffer();
    }
    const list = await fetch(`${docbatch.host.url}/v1/files`, { headers: auth, signal: AbortSignal.timeout(HANG) });
    assert.equal(list.status, 200);
    await list.arrayBuffer();
  }

  test("the official openai clients (/v1/files and /openai/files), five times each", async () => {
    const openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0, timeout: HANG });
    const azure = new AzureOpenAI({ endpoint: docbatch.host.url, apiKey: docbatch.apiKey, apiVersion: "2024-10-21", maxRetries: 0, timeout: HANG });
    for (const client of [openai, azure]) {
      for (let round = 0; round < 5; round++) {
        await assert.rejects(
          client.files.create({ file: await toFile(TOO_LARGE, "big.jsonl"), purpose: "batch" }),
          (error: unknown) => error instanceof OpenAI.APIError && error.status === 413,
        );
        const listed = await client.files.list({ purpose: "batch" });
        assert.ok(Array.isArray(listed.data));
        await assertAnswering();
      }
    }
  });

  test("raw fetch, with Content-Length and chunked", async () => {
    for (let round = 0; round < 3; round++) {
      const form = new FormData();
      form.append("purpose", "batch");
      form.append("file", new Blob([TOO_LARGE]), "big.jsonl");
      const sized = await fetch(`${docbatch.host.url}/v1/files`, { method: "POST", body: form, headers: auth, signal: AbortSignal.timeout(HANG) });
      assert.equal(sized.status, 413);
      assert.equal((await sized.json()).error.code, "file_too_large");
      await assertAnswering();

      // The same form sent chunked: no Content-Length, so the limit is met while streaming.
      const encoded = new Response(form);
      const chunked = await fetch(`${docbatch.host.url}/openai/files?api-version=2024-10-21`, {
        method: "POST",
        body: encoded.body,
        duplex: "half",
        headers: { "api-key": docbatch.apiKey, "content-type": encoded.headers.get("content-type")! },
        signal: AbortSignal.timeout(HANG),
      } as RequestInit);
      assert.equal(chunked.status, 413);
      await chunked.arrayBuffer();
      await assertAnswering();
    }
  });
});
