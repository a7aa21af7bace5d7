// The Uploads API (a file sent in parts, joined on completion) through the official npm client in
// both its forms, with the joined File run as a batch; and the hour's expiry on the store itself.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import OpenAI, { AzureOpenAI, toFile } from "openai";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { OpenAiFileStore } from "../../src/storage/openAiFileStore.js";
import { OpenAiUploadStore } from "../../src/storage/openAiUploadStore.js";
import { Readable } from "node:stream";
import type { Docbatch } from "../support/docbatchHost.js";
import type { FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { API_VERSION, chatLine, fileLines, jsonlOf, startBatchHost, waitForBatch } from "./batchSupport.js";

const md5 = (content: Buffer) => createHash("md5").update(content).digest("hex");

/** Splits `content` into parts of `size` bytes (the last shorter). */
function partsOf(content: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < content.byteLength; offset += size) parts.push(content.subarray(offset, offset + size));
  return parts;
}

async function errorOf(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  assert.fail("the request was accepted");
}

describe("OpenAI Uploads API through the official npm client", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let openai: OpenAI;
  let azure: AzureOpenAI;
  before(async () => {
    ({ fake, docbatch } = await startBatchHost());
    openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0 });
    azure = new AzureOpenAI({ endpoint: docbatch.host.url, apiKey: docbatch.apiKey, apiVersion: API_VERSION, maxRetries: 0 });
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });

  test("parts sent out of order and joined in part_ids order give the exact bytes, run as a batch", async () => {
    // Over 4 MB so that a part spans several staged blocks.
    const lines = Array.from({ length: 200 }, (_, i) => chatLine(i, { body: { model: "gpt-4o-mini", messages: [{ role: "user", content: `question ${i} ${"x".repeat(25_000)}` }], max_tokens: 5 } }));
    const content = Buffer.from(jsonlOf(lines));
    const upload = await openai.uploads.create({ bytes: content.byteLength, filename: "big.jsonl", mime_type: "application/jsonl", purpose: "batch" });
    assert.equal(upload.object, "upload");
    assert.equal(upload.status, "pending");
    assert.equal(upload.expires_at, upload.created_at + 3600);
    assert.match(upload.id, /^upload_/);

    const pieces = partsOf(content, 1_500_000);
    // Added last to first, in parallel: the order comes from part_ids alone.
    const added = await Promise.all(pieces.map(async (piece, i) => openai.uploads.parts.create(upload.id, { data: await toFile(piece, `part-${i}`) })));
    for (const part of added) {
      assert.equal(part.object, "upload.part");
      assert.equal(part.upload_id, upload.id);
    }
    const completed = await openai.uploads.complete(upload.id, { part_ids: added.map((part) => part.id), md5: md5(content) });
    assert.equal(completed.status, "completed");
    assert.ok(completed.file);
    assert.equal(completed.file.bytes, content.byteLength);
    assert.equal(completed.file.filename, "big.jsonl");
    assert.equal(completed.file.purpose, "batch");

    const downloaded = Buffer.from(await (await openai.files.content(completed.file.id)).arrayBuffer());
    assert.ok(downloaded.equals(content), "the File holds the parts' bytes in part_ids order");
    assert.deepEqual(await openai.files.retrieve(completed.file.id), completed.file);

    // A retried completion (its answer lost) is answered the same.
    assert.deepEqual(await openai.uploads.complete(upload.id, { part_ids: added.map((part) => part.id), md5: md5(content) }), completed);

    const batch = await openai.batches.create({ input_file_id: completed.file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    const done = await waitForBatch(openai, batch.id);
    assert.equal(done.status, "completed");
    assert.deepEqual(done.request_counts, { total: lines.length, completed: lines.length, failed: 0 });
    const output = await fileLines(openai, done.output_file_id);
    assert.deepEqual(new Set(output.map((line) => line.custom_id)), new Set(lines.map((line) => line.custom_id)));
    assert.ok(fake.requests.length >= lines.length);
  });

  test("a wrong md5, unknown or foreign part ids and a wrong total are refused; the upload stays usable", async () => {
    const content = randomBytes(300_000);
    const upload = await openai.uploads.create({ bytes: content.byteLength, filename: "data.bin", mime_type: "application/octet-stream", purpose: "user_data" });
    const [first, second] = partsOf(content, 200_000);
    const a = await openai.uploads.parts.create(upload.id, { data: await toFile(first!, "a") });
    const b = await openai.uploads.parts.create(upload.id, { data: await toFile(second!, "b") });
    const other = await openai.uploads.create({ bytes: 10, filename: "o.bin", mime_type: "application/octet-stream", purpose: "user_data" });
    const foreign = await openai.uploads.parts.create(other.id, { data: await toFile(Buffer.alloc(10), "o") });

    const wrongMd5 = await errorOf(openai.uploads.complete(upload.id, { part_ids: [a.id, b.id], md5: md5(Buffer.from("something else")) }));
    assert.equal(wrongMd5.status, 400);
    assert.equal((wrongMd5.error as { code: string }).code, "md5_mismatch");
    assert.equal(wrongMd5.param, "md5");

    const swapped = await errorOf(openai.uploads.complete(upload.id, { part_ids: [b.id, a.id], md5: md5(content) }));
    assert.equal((swapped.error as { code: string }).code, "md5_mismatch", "the order of part_ids is the order of the bytes");

    const foreignPart = await errorOf(openai.uploads.complete(upload.id, { part_ids: [a.id, foreign.id] }));
    assert.equal(foreignPart.status, 400);
    assert.equal((foreignPart.error as { code: string }).code, "invalid_part_id");
    assert.match(foreignPart.message, /part_ids\[1\]/);

    const unknown = await errorOf(openai.uploads.complete(upload.id, { part_ids: [a.id, "part_000000000000000000000000"] }));
    assert.equal((unknown.error as { code: string }).code, "invalid_part_id");

    const short = await errorOf(openai.uploads.complete(upload.id, { part_ids: [a.id] }));
    assert.equal((short.error as { code: string }).code, "bytes_mismatch");
    assert.match(short.message, /200000 bytes.*300000 bytes/);

    const twice = await errorOf(openai.uploads.complete(upload.id, { part_ids: [a.id, a.id] }));
    assert.equal((twice.error as { code: string }).code, "duplicate_part_id");

    const completed = await openai.uploads.complete(upload.id, { part_ids: [a.id, b.id], md5: md5(content) });
    assert.equal(completed.status, "completed");
    assert.ok(Buffer.from(await (await openai.files.content(completed.file!.id)).arrayBuffer()).equals(content));

    const afterCompletion = await errorOf(openai.uploads.parts.create(upload.id, { data: await toFile(Buffer.from("late"), "late") }));
    assert.equal((afterCompletion.error as { code: string }).code, "upload_not_pending");
  });

  test("a cancelled upload takes no parts and cannot be completed (Azure form)", async () => {
    const upload = await azure.uploads.create({ bytes: 8, filename: "c.jsonl", mime_type: "application/jsonl", purpose: "batch" });
    const part = await azure.uploads.parts.create(upload.id, { data: await toFile(Buffer.from("12345678"), "p") });
    const cancelled = await azure.uploads.cancel(upload.id);
    assert.equal(cancelled.status, "cancelled");
    assert.equal(cancelled.file, null);
    assert.deepEqual(await azure.uploads.cancel(upload.id), cancelled, "cancelling again answers the same");

    const refusedPart = await errorOf(azure.uploads.parts.create(upload.id, { data: await toFile(Buffer.from("x"), "x") }));
    assert.equal(refusedPart.status, 400);
    assert.equal((refusedPart.error as { code: string }).code, "upload_not_pending");
    const refusedCompletion = await errorOf(azure.uploads.complete(upload.id, { part_ids: [part.id] }));
    assert.equal((refusedCompletion.error as { code: string }).code, "upload_not_pending");
  });

  test("bad creations and unknown uploads get OpenAI's errors", async () => {
    const tooBig = await errorOf(openai.uploads.create({ bytes: 300 * 1024 * 1024, filename: "x.jsonl", mime_type: "application/jsonl", purpose: "batch" }));
    assert.equal(tooBig.status, 400);
    assert.equal(tooBig.param, "bytes");
    const badPurpose = await errorOf(openai.uploads.create({ bytes: 10, filename: "x.jsonl", mime_type: "application/jsonl", purpose: "nope" as "batch" }));
    assert.equal(badPurpose.param, "purpose");
    const noName = await errorOf(openai.uploads.create({ bytes: 10, mime_type: "application/jsonl", purpose: "batch" } as never));
    assert.equal(noName.param, "filename");
    const missing = await errorOf(openai.uploads.complete("upload_0123456789abcdef01234567", { part_ids: ["part_x"] }));
    assert.equal(missing.status, 404);
    const open = await openai.uploads.create({ bytes: 10, filename: "e.jsonl", mime_type: "application/jsonl", purpose: "batch" });
    const empty = await errorOf(openai.uploads.parts.create(open.id, { data: await toFile(Buffer.alloc(0), "empty") }));
    assert.equal((empty.error as { code: string }).code, "empty_part");
    const noPart = await errorOf(openai.uploads.parts.create("upload_0123456789abcdef01234567", { data: await toFile(Buffer.from("x"), "x") }));
    assert.equal(noPart.status, 404);
  });

  test("an hour after creation an unfinished upload's parts are removed; a completed upload's File stays", async () => {
    const storage = createAppStorage({ AzureWebJobsStorage: docbatch.azurite.connectionString });
    const files = new OpenAiFileStore(storage, { prefix: "expiry" });
    const uploads = new OpenAiUploadStore(storage, files, { prefix: "expiry" });
    const start = Date.UTC(2026, 0, 1);
    const base = { bytes: 4, fileName: "a.jsonl", mimeType: "application/jsonl", purpose: "batch", createdAt: start / 1000, expiresAt: start / 1000 + 3600 };
    const pending = await uploads.create(base, start);
    await uploads.addPart(pending.id, Readable.from([Buffer.from("abcd")]), { nowMs: start, maxStagedBytes: 100 });
    const done = await uploads.create(base, start);
    const part = await uploads.addPart(done.id, Readable.from([Buffer.from("wxyz")]), { nowMs: start, maxStagedBytes: 100 });
    await uploads.join(done, [part]);
    await uploads.finish(done, { id: done.fileId, bytes: 4, createdAt: start / 1000, fileName: "a.jsonl", purpose: "batch" }, "c", start);

    const staged = async (fileId: string) => (await (await files.blockBlob(fileId)).getBlockList("uncommitted").catch(() => ({ uncommittedBlocks: [] }))).uncommittedBlocks?.length ?? 0;
    assert.equal(await staged(pending.fileId), 1);
    assert.equal(await uploads.purgeExpired(start + 3599_000), 0, "not before its hour");
    assert.equal(await uploads.purgeExpired(start + 3600_000), 2);
    assert.equal(await staged(pending.fileId), 0, "the staged part is gone");
    assert.equal(await uploads.get(pending.id), undefined);
    assert.equal(await uploads.get(done.id), undefined);
    assert.equal((await files.get(done.fileId))?.bytes, 4, "the completed upload's File is a File like any other");
  });
});
