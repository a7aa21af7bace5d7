import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { runCli } from "../support/cli.js";

const localHostCli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../local-host/cli.js");

test("after `npm run local --data DIR`, `docbatch analyze --data DIR` finds it with no environment; the endpoints file goes when it stops", async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), "docbatch-local-"));
  const local = spawn(process.execPath, [localHostCli, "--data", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => local.on("exit", (code) => resolve(code)));
  try {
    let printed = "";
    await new Promise<void>((resolve, reject) => {
      local.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        printed += chunk;
        if (printed.includes("AZURE_STORAGE_CONNECTION_STRING=")) resolve();
      });
      void exited.then((code) => reject(new Error(`npm run local exited ${code} before printing its endpoints`)));
    });
    assert.ok(existsSync(path.join(dataDir, "docbatch.env")));

    const folder = await mkdtemp(path.join(tmpdir(), "docbatch-cli-docs-"));
    await writeFile(path.join(folder, "hello.txt"), "Hello from a separate terminal");
    const out = await mkdtemp(path.join(tmpdir(), "docbatch-cli-out-"));
    const run = await runCli(["analyze", folder, "--data", dataDir, "--out", out]);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.match(run.stdout, /1 succeeded, 0 failed, 0 skipped/);
    assert.deepEqual(await readdir(out), ["hello.txt.ocr.json"]);
  } finally {
    local.kill("SIGTERM");
    await exited;
  }
  assert.ok(!existsSync(path.join(dataDir, "docbatch.env")), "a stopped local host leaves no endpoints behind");
});
