// The postdeploy hook's check (infra/hooks/postdeploy.sh -> scripts/first-batch.mjs) against the
// same API served by the local host: the URL, key and storage come from the environment, as azd
// passes them, so the hook's logic runs here as it runs after `azd up`.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

function runHook(env: Record<string, string>): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", [path.join(root, "infra", "hooks", "postdeploy.sh")], { env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCBATCH_CHECK_WAIT_SECONDS: "240", ...env } });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("exit", (status) => resolve({ status: status ?? 1, output }));
  });
}

describe("the postdeploy check", () => {
  let docbatch: Docbatch;
  // Its own storage, as a deployment has: the hook's fixed `documents` and `results` containers
  // must not meet other tests' containers of the same names in the shared Azurite.
  const dataDir = mkdtempSync(path.join(tmpdir(), "docbatch-first-batch-"));
  before(async () => {
    docbatch = await startDocbatch({ dataDir });
  });
  after(async () => {
    await docbatch?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs a first batch of three documents and prints the counts and the .ocr.json paths", async () => {
    const { status, output } = await runHook({
      DOCBATCH_URL: docbatch.host.url,
      DOCBATCH_CHECK_API_KEY: docbatch.apiKey,
      DOCBATCH_CHECK_STORAGE_CONNECTION_STRING: docbatch.azurite.connectionString,
      KEY_VAULT_NAME: "kv-example",
    });
    assert.equal(status, 0, output);
    assert.match(output, /Batch succeeded: 3 succeeded, 0 failed, 0 skipped\./);
    const paths = [...output.matchAll(/^ {2}(\S+\.ocr\.json)$/gm)].map((m) => m[1]!);
    assert.equal(paths.length, 3, output);
    for (const name of ["hello.txt", "note.html", "page.pdf"]) assert.ok(paths.some((p) => p.endsWith(`/${name}.ocr.json`)), name);
    // The results really are there, and hold what the documents say.
    const results = docbatch.blobService.getContainerClient("results");
    const pdfPath = new URL(paths.find((p) => p.endsWith("page.pdf.ocr.json"))!).pathname.split("/results/")[1]!;
    const result = JSON.parse((await results.getBlobClient(decodeURIComponent(pdfPath)).downloadToBuffer()).toString("utf8"));
    assert.match(JSON.stringify(result), /docbatch postdeploy check: PDF/);
    assert.match(output, /key=\$\(az keyvault secret show --vault-name kv-example/);
  });

  it("a wrong key: the step that failed, the answer, and what to look at", async () => {
    const { status, output } = await runHook({
      DOCBATCH_URL: docbatch.host.url,
      DOCBATCH_CHECK_API_KEY: "not-the-key",
      DOCBATCH_CHECK_STORAGE_CONNECTION_STRING: docbatch.azurite.connectionString,
    });
    assert.equal(status, 1);
    assert.match(output, /Starting the batch failed: 401/);
    assert.match(output, /What to look at: the key/);
    assert.doesNotMatch(output, /at .*\.mjs:\d+/, "no stack trace");
  });

  it("the PowerShell hook runs the same check and passes on its exit code", () => {
    const ps1 = readFileSync(path.join(root, "infra", "hooks", "postdeploy.ps1"), "utf8");
    assert.match(ps1, /^node \.\/scripts\/first-batch\.mjs\n\$status = \$LASTEXITCODE$/m);
    assert.match(ps1, /^exit \$status$/m);
    const sh = readFileSync(path.join(root, "infra", "hooks", "postdeploy.sh"), "utf8");
    assert.match(sh, /^node \.\/scripts\/first-batch\.mjs\nstatus=\$\?$/m);
  });

  it("no URL: says to provision first", async () => {
    const { status, output } = await runHook({ DOCBATCH_CHECK_API_KEY: "k", DOCBATCH_CHECK_STORAGE_CONNECTION_STRING: docbatch.azurite.connectionString });
    assert.equal(status, 1);
    assert.match(output, /DOCBATCH_URL is not set/);
  });
});
