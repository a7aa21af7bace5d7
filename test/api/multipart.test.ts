import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { text } from "node:stream/consumers";
import { ReadableStream } from "node:stream/web";
import { HttpProblem } from "../../src/api/http/httpProblem.js";
import { readMultipartUpload, type IncomingFile } from "../../src/api/http/multipart.js";
import type { ApiRequest } from "../../src/api/http/types.js";

/** A real multipart body, encoded by the platform's own FormData, as a client would send it. */
async function formRequest(form: FormData): Promise<ApiRequest> {
  const request = new Request("http://localhost/upload", { method: "POST", body: form });
  return { method: "POST", url: request.url, headers: request.headers, body: request.body as unknown as ReadableStream<Uint8Array> };
}

function rawRequest(contentType: string, body: string): ApiRequest {
  const bytes = new TextEncoder().encode(body);
  return {
    method: "POST",
    url: "http://localhost/upload",
    headers: new Headers({ "content-type": contentType }),
    body: new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(bytes), c.close()) }),
  };
}

const keepText = async (file: IncomingFile) => ({ name: file.fileName, content: await text(file.stream) });

async function problemOf(promise: Promise<unknown>): Promise<HttpProblem> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof HttpProblem, `expected an HttpProblem, got ${error}`);
  return error;
}

describe("multipart uploads", () => {
  it("streams the file part to the sink and returns the text fields around it", async () => {
    const form = new FormData();
    form.append("purpose", "batch");
    form.append("file", new Blob(['{"a":1}\n'], { type: "application/jsonl" }), "requests.jsonl");
    form.append("after", "file");
    const upload = await readMultipartUpload(await formRequest(form), { fileField: "file", limitBytes: 1024, onFile: keepText });
    assert.deepEqual(upload.fields, { purpose: "batch", after: "file" });
    assert.equal(upload.file?.fileName, "requests.jsonl");
    assert.equal(upload.file?.mimeType, "application/jsonl");
    assert.equal(upload.file?.sizeBytes, 8);
    assert.deepEqual(upload.file?.stored, { name: "requests.jsonl", content: '{"a":1}\n' });
  });

  it("loses nothing when the sink awaits something before it starts reading", async () => {
    const form = new FormData();
    form.append("document", new Blob(["x".repeat(200_000)]), "late.txt");
    const upload = await readMultipartUpload(await formRequest(form), {
      fileField: "document",
      limitBytes: 1_000_000,
      onFile: async (file) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return (await text(file.stream)).length;
      },
    });
    assert.equal(upload.file?.stored, 200_000);
    assert.equal(upload.file?.sizeBytes, 200_000);
  });

  it("has no file when the field is missing, and ignores other file parts", async () => {
    const form = new FormData();
    form.append("other", new Blob(["x"]), "x.txt");
    const upload = await readMultipartUpload(await formRequest(form), { fileField: "document", limitBytes: 1024, onFile: keepText });
    assert.equal(upload.file, undefined);
  });

  it("refuses a file over its limit with 413 and discards what was stored", async () => {
    const form = new FormData();
    form.append("file", new Blob(["y".repeat(5000)]), "big.bin");
    const discarded: unknown[] = [];
    const problem = await problemOf(
      readMultipartUpload(await formRequest(form), {
        fileField: "file",
        limitBytes: 1_000_000,
        fileLimitBytes: 1000,
        onFile: async (file) => {
          let bytes = 0;
          try {
            for await (const chunk of file.stream) bytes += (chunk as Buffer).length;
          } catch {
            return { bytes, broken: true };
          }
          return { bytes, broken: false };
        },
        discard: async (stored) => void discarded.push(stored),
      }),
    );
    assert.equal(problem.status, 413);
    assert.match(problem.message, /big\.bin.*1000 bytes/);
    assert.equal(discarded.length, 1);
  });

  it("takes a file of exactly its limit; one byte more is refused", async () => {
    const at = new FormData();
    at.append("file", new Blob(["z".repeat(1000)]), "exact.bin");
    const upload = await readMultipartUpload(await formRequest(at), { fileField: "file", limitBytes: 1_000_000, fileLimitBytes: 1000, onFile: keepText });
    assert.equal(upload.file?.sizeBytes, 1000);
    const over = new FormData();
    over.append("file", new Blob(["z".repeat(1001)]), "over.bin");
    const problem = await problemOf(readMultipartUpload(await formRequest(over), { fileField: "file", limitBytes: 1_000_000, fileLimitBytes: 1000, onFile: keepText }));
    assert.equal(problem.status, 413);
  });

  it("refuses a body over the request limit with 413", async () => {
    const form = new FormData();
    form.append("file", new Blob(["z".repeat(10_000)]), "z.txt");
    const problem = await problemOf(readMultipartUpload(await formRequest(form), { fileField: "file", limitBytes: 2000, onFile: keepText }));
    assert.equal(problem.status, 413);
  });

  it("answers 400 for a body that is not multipart, or is cut off", async () => {
    const notMultipart = await problemOf(readMultipartUpload(rawRequest("application/json", "{}"), { fileField: "file", limitBytes: 1024, onFile: keepText }));
    assert.equal(notMultipart.status, 400);
    assert.match(notMultipart.message, /multipart\/form-data with a 'file' file part/);

    const cut = '--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhalf a fi';
    const truncated = await problemOf(readMultipartUpload(rawRequest("multipart/form-data; boundary=b", cut), { fileField: "file", limitBytes: 1024, onFile: keepText }));
    assert.equal(truncated.status, 400);
  });

  it("refuses two file parts in the field", async () => {
    const form = new FormData();
    form.append("file", new Blob(["1"]), "one.txt");
    form.append("file", new Blob(["2"]), "two.txt");
    const problem = await problemOf(readMultipartUpload(await formRequest(form), { fileField: "file", limitBytes: 1024, onFile: keepText }));
    assert.equal(problem.status, 400);
    assert.match(problem.message, /one 'file' file part/);
  });

  it("a malformed part header before the file is a 400, and the file after it never reaches the sink (schemathesis found the hang)", async () => {
    const body = '--b\r\nContent-Disposition: form-data; name="a\u0017b"\r\n\r\nx\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="d.txt"\r\n\r\nhello\r\n--b--\r\n';
    const sunk: string[] = [];
    // A sink that, like a blob upload, waits for the stream to end: it would wait forever.
    const onFile = async (file: IncomingFile) => {
      sunk.push(file.fileName);
      return text(file.stream);
    };
    const problem = await problemOf(readMultipartUpload(rawRequest("multipart/form-data; boundary=b", body), { fileField: "file", limitBytes: 1024, onFile }));
    assert.equal(problem.status, 400);
    assert.match(problem.message, /malformed/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sunk, [], "the sink never saw the file");
  });
});
