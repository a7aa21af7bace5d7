import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI, { AzureOpenAI, toFile } from "openai";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const API_VERSION = "2024-10-21";

function jsonl(lines: number): string {
  return Array.from({ length: lines }, (_, i) =>
    JSON.stringify({ custom_id: `task-${i}`, method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: `line ${i} ünï` }] } }),
  ).join("\n");
}

describe("OpenAI Files API through the official clients", () => {
  let docbatch: Docbatch;
  let openai: OpenAI;
  let azure: AzureOpenAI;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
    openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0 });
    azure = new AzureOpenAI({ endpoint: docbatch.host.url, apiKey: docbatch.apiKey, apiVersion: API_VERSION, maxRetries: 0 });
  });
  after(async () => docbatch?.close());

  test("uploads, retrieves, downloads the exact bytes and deletes a file (OpenAI form)", async () => {
    const content = jsonl(30);
    const created = await openai.files.create({ file: await toFile(Buffer.from(content), "requests ünï.jsonl"), purpose: "batch" });
    assert.match(created.id, /^file-/);
    assert.equal(created.object, "file");
    assert.equal(created.bytes, Buffer.byteLength(content));
    assert.equal(created.filename, "requests ünï.jsonl");
    assert.equal(created.purpose, "batch");

    const retrieved = await openai.files.retrieve(created.id);
    assert.deepEqual(retrieved, created);
    const downloaded = await openai.files.content(created.id);
    assert.equal(await downloaded.text(), content);

    const deleted = await openai.files.delete(created.id);
    assert.deepEqual(deleted, { id: created.id, object: "file", deleted: true });
    await assert.rejects(openai.files.retrieve(created.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
    await assert.rejects(openai.files.content(created.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
  });

  test("the Azure form and the /openai/v1 path reach the same files; expires_after is honoured", async () => {
    const created = await azure.files.create({ file: await toFile(Buffer.from(jsonl(2)), "azure.jsonl"), purpose: "batch", expires_after: { anchor: "created_at", seconds: 7200 } });
    assert.equal(created.expires_at, created.created_at + 7200);
    assert.deepEqual(await openai.files.retrieve(created.id), created);
    const v1 = new OpenAI({ baseURL: `${docbatch.host.url}/openai/v1`, apiKey: "unused", defaultHeaders: { "api-key": docbatch.apiKey, authorization: "" }, maxRetries: 0 });
    assert.equal((await v1.files.retrieve(created.id)).filename, "azure.jsonl");
  });

  test("lists by purpose with paging in both orders", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await openai.files.create({ file: await toFile(Buffer.from(jsonl(1)), `page-${i}.jsonl`), purpose: "user_data" })).id);
    }
    const seen: string[] = [];
    for await (const file of openai.files.list({ purpose: "user_data", limit: 2, order: "asc" })) seen.push(file.id);
    assert.deepEqual(seen, ids);

    const firstPage = await openai.files.list({ purpose: "user_data", limit: 2 });
    assert.deepEqual(firstPage.data.map((f) => f.id), [ids[4], ids[3]]);
    assert.equal(firstPage.hasNextPage(), true);
    const raw = await fetch(`${docbatch.host.url}/v1/files?purpose=user_data&limit=3&order=asc&after=${ids[0]}`, { headers: { authorization: `Bearer ${docbatch.apiKey}` } });
    const body = await raw.json();
    assert.deepEqual({ first: body.first_id, last: body.last_id, more: body.has_more, n: body.data.length }, { first: ids[1], last: ids[3], more: true, n: 3 });
    assert.ok(body.data.every((f: { purpose: string }) => f.purpose === "user_data"));
  });

  test("refuses bad requests in OpenAI's error format, final ones with x-should-retry: false", async () => {
    const missingPurpose = new FormData();
    missingPurpose.append("file", new Blob(["{}"]), "a.jsonl");
    const response = await fetch(`${docbatch.host.url}/v1/files`, { method: "POST", body: missingPurpose, headers: { authorization: `Bearer ${docbatch.apiKey}` } });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("x-should-retry"), "false");
    assert.match(response.headers.get("content-type") ?? "", /application\/json/);
    const body = await response.json();
    assert.equal(body.error.param, "purpose");
    assert.equal(typeof body.error.message, "string");
    assert.ok("type" in body.error && "code" in body.error);

    await assert.rejects(
      openai.files.create({ file: await toFile(Buffer.from("{}"), "x.jsonl"), purpose: "nonsense" as "batch" }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /purpose/.test(error.message),
    );
    const stranger = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: "wrong", maxRetries: 0 });
    await assert.rejects(stranger.files.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError);
    await assert.rejects(openai.files.retrieve("file-nope"), (error: unknown) => error instanceof OpenAI.NotFoundError);
    await assert.rejects(openai.files.list({ limit: 0 }), (error: unknown) => error instanceof OpenAI.BadRequestError);
    for (const path of ["/v1/files/%E0%A4%A", "/openai/batches/%ZZ/cancel"]) {
      const broken = await fetch(`${docbatch.host.url}${path}`, { headers: { authorization: `Bearer ${docbatch.apiKey}` } });
      assert.equal(broken.status, 400, `${path}: malformed percent-encoding is the caller's mistake, not a 500`);
      assert.equal((await broken.json()).error.code, "invalid_path");
    }
  });
});
