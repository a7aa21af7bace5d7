import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { listBlobNames, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The README's JavaScript snippet, exactly as written there. */
function readmeSnippet(): string {
  const readme = readFileSync(path.join(repo, "README.md"), "utf8");
  const start = readme.indexOf("save this as `analyze.mjs`");
  assert.ok(start > 0, "the README tells to save the snippet as analyze.mjs");
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(block, "a js block follows");
  return block[1];
}

/** The quick start's own-API path, as a user follows it: upload with scripts/upload.mjs, run the saved snippet. */
describe("README quick start: upload without az, then the saved analyze.mjs", () => {
  let docbatch: Docbatch;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
  });
  after(async () => docbatch?.close());

  test("scripts/upload.mjs uploads a folder and creates the result container; analyze.mjs runs as saved", async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), "docbatch-upload-"));
    mkdirSync(path.join(folder, "sub"));
    writeFileSync(path.join(folder, "a.txt"), "first uploaded document");
    writeFileSync(path.join(folder, "sub", "b.md"), "# Second\n\nuploaded **document**\n");
    const env = { ...process.env, AZURE_STORAGE_CONNECTION_STRING: docbatch.azurite.connectionString };
    const upload = await run(process.execPath, [path.join(repo, "scripts/upload.mjs"), folder, "docs"], { env });
    assert.match(upload.stdout, /Uploaded 2 file\(s\)/);
    await run(process.execPath, [path.join(repo, "scripts/upload.mjs"), "--create", "results"], { env });
    assert.deepEqual(await listBlobNames(docbatch.blobService.getContainerClient("docs")), ["a.txt", "sub/b.md"]);

    // Inside the clone (its packages resolve as they do for a user saving the file there), outside dist/ (the deployed package).
    const snippetDir = path.join(repo, "test-output", "readme-snippet");
    mkdirSync(snippetDir, { recursive: true });
    const script = path.join(snippetDir, "analyze.mjs");
    writeFileSync(script, readmeSnippet());
    const analyzed = await run(process.execPath, [script], {
      env: { ...env, DOCBATCH_URL: docbatch.host.url, DOCBATCH_KEY: docbatch.apiKey },
    });
    assert.match(analyzed.stdout, /^succeeded \{"succeededCount":2,/);
    assert.deepEqual(await listBlobNames(docbatch.blobService.getContainerClient("results")), ["ocr/a.txt.ocr.json", "ocr/sub/b.md.ocr.json"]);
  });

  test("scripts/upload.mjs says how to fix a missing connection", async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "docbatch-nodata-"));
    const env = { ...process.env, AZURE_STORAGE_CONNECTION_STRING: "" };
    await assert.rejects(run(process.execPath, [path.join(repo, "scripts/upload.mjs"), "--data", empty, "--create", "results"], { env }), (error: any) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /Set AZURE_STORAGE_CONNECTION_STRING .*npm run local/);
      return true;
    });
  });
});
