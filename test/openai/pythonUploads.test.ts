// The official Python client's uploads.upload_file_chunked (test/python/openaiUpload.py): a file
// larger than the body limit the host is given goes through in parts smaller than it, comes back
// byte for byte and runs as a batch; a wrong md5 is refused; a cancelled upload takes no parts.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Docbatch } from "../support/docbatchHost.js";
import type { FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { runPythonJson } from "../support/python.js";
import { chatLine, jsonlOf, MODEL, startBatchHost } from "./batchSupport.js";

const BODY_LIMIT_BYTES = 1024 * 1024;
const PART_SIZE = 512 * 1024;

interface Outcome {
  upload: { status: string; bytes: number; file: { id: string; bytes: number; purpose: string; filename: string } };
  sameBytes: boolean;
  partBodies: number[];
  batch: { status: string; request_counts: { total: number; completed: number; failed: number } };
  outputLines: number;
  wrongMd5: { status: number; code: string; param: string } | null;
  cancelled: { status: string };
  late: { status: number; code: string } | null;
}

describe("OpenAI Uploads API through the official Python client", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let dir: string;
  before(async () => {
    // The platform's body limit (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT), small so that the file cannot come in one request.
    ({ fake, docbatch } = await startBatchHost({ env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(BODY_LIMIT_BYTES) } }));
    dir = await mkdtemp(path.join(os.tmpdir(), "docbatch-upload-"));
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("upload_file_chunked of a file over the body limit, read back and run as a batch", async () => {
    const lines = Array.from({ length: 60 }, (_, i) => chatLine(i, { body: { model: MODEL, messages: [{ role: "user", content: `q${i} ${"y".repeat(50_000)}` }], max_tokens: 5 } }));
    const content = jsonlOf(lines);
    assert.ok(Buffer.byteLength(content) > 2 * BODY_LIMIT_BYTES);
    const input = path.join(dir, "requests.jsonl");
    await writeFile(input, content);

    const outcome = await runPythonJson<Outcome>(
      { script: "openaiUpload.py" },
      { env: { DOCBATCH_URL: docbatch.host.url, DOCBATCH_KEY: docbatch.apiKey, INPUT: input, PART_SIZE: String(PART_SIZE) }, timeoutMs: 150_000 },
    );
    assert.equal(outcome.upload.status, "completed");
    assert.equal(outcome.upload.file.bytes, Buffer.byteLength(content));
    assert.equal(outcome.upload.file.filename, "requests.jsonl");
    assert.equal(outcome.sameBytes, true);
    assert.equal(outcome.partBodies.length, Math.ceil(Buffer.byteLength(content) / PART_SIZE));
    assert.ok(outcome.partBodies.every((bytes) => bytes > 0 && bytes < BODY_LIMIT_BYTES), `every part's request is under the body limit: ${outcome.partBodies}`);

    assert.equal(outcome.batch.status, "completed");
    assert.deepEqual(outcome.batch.request_counts, { total: 60, completed: 60, failed: 0 });
    assert.equal(outcome.outputLines, 60);

    assert.deepEqual(outcome.wrongMd5, { status: 400, code: "md5_mismatch", param: "md5" });
    assert.equal(outcome.cancelled.status, "cancelled");
    assert.deepEqual(outcome.late, { status: 400, code: "upload_not_pending" });

    // The same file in one request is what the host refuses (its bare 413): parts are the way in.
    const form = new FormData();
    form.set("purpose", "batch");
    form.set("file", new Blob([content]), "requests.jsonl");
    const whole = await fetch(`${docbatch.host.url}/v1/files`, { method: "POST", headers: { authorization: `Bearer ${docbatch.apiKey}` }, body: form });
    assert.equal(whole.status, 413);
    await whole.body?.cancel();
  });
});
