import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import DocumentIntelligence, { getLongRunningPoller, isUnexpected } from "@azure-rest/ai-document-intelligence";
import { BlobServiceClient } from "@azure/storage-blob";
import { AZURITE_ACCOUNT, AZURITE_KEY, freePort } from "../support/azurite.js";
import { createContainer, listBlobNames, sasUrlFor, type Docbatch } from "../support/docbatchHost.js";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../local-host/cli.js");
const DOCUMENTS = 200;

interface RunningLocal {
  child: ChildProcess;
  values: Record<string, string>;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** `npm run local --data dir` in its own process group, so a kill can take Azurite down with it as a crash would. */
async function startLocal(dataDir: string, port: number): Promise<RunningLocal> {
  const child = spawn(process.execPath, [cli, "--data", dataDir, "--port", String(port)], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const values: Record<string, string> = {};
  for await (const line of createInterface({ input: child.stdout! })) {
    const eq = line.indexOf("=");
    if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
    if (Object.keys(values).length === 3) break;
  }
  assert.equal(Object.keys(values).length, 3, stderr);
  return { child, values, exited, stderr: () => stderr };
}

/** Resolves once no process of the group is left; the test's timeout fails it otherwise. */
async function groupGone(pgid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const signal of ["SIGKILL", "SIGTERM"] as const) {
  test(`a batch of ${DOCUMENTS} documents survives ${signal} mid-batch and a restart on the same --data folder`, { timeout: 300_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-restart-"));
    // The same app port both times, as the client's operation-location names it.
    const port = await freePort();
    let local = await startLocal(dataDir, port);
    try {
      const blobEndpoint = /BlobEndpoint=([^;]+)/.exec(local.values.AZURE_STORAGE_CONNECTION_STRING)![1];
      const blobService = new BlobServiceClient(blobEndpoint, new (await import("@azure/storage-blob")).StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
      const azurite = { blobEndpoint, accountName: AZURITE_ACCOUNT, accountKey: AZURITE_KEY } as Docbatch["azurite"];
      const documents: Record<string, string> = {};
      for (let i = 0; i < DOCUMENTS; i++) documents[`docs/d${String(i).padStart(3, "0")}.txt`] = `Document number ${i}\n\nSome words to read.`;
      const source = await createContainer(blobService, documents);
      const results = await createContainer(blobService);
      const client = () => DocumentIntelligence(local.values.DOCBATCH_URL, { key: local.values.DOCBATCH_KEY }, { allowInsecureConnection: true });
      const initial = await client()
        .path("/documentModels/{modelId}:analyzeBatch", "prebuilt-read")
        .post({
          contentType: "application/json",
          body: { azureBlobSource: { containerUrl: await sasUrlFor(source, azurite, "rl") }, resultContainerUrl: await sasUrlFor(results, azurite) },
        });
      assert.ok(!isUnexpected(initial), JSON.stringify(initial.body));

      // Mid-batch: some results written, not all.
      for (;;) {
        const written = (await listBlobNames(results)).length;
        if (written > 0) {
          assert.ok(written < DOCUMENTS, "the batch finished before it could be interrupted");
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      local.child.kill(signal);
      const code = await local.exited;
      if (signal === "SIGTERM") assert.equal(code, 0, local.stderr());
      // Nothing is left behind: Azurite went with its parent (saving its stores, also after the
      // SIGKILL). A hard kill of Azurite itself can lose its last seconds of writes (README).
      await groupGone(local.child.pid!);

      local = await startLocal(dataDir, port);
      const poller = getLongRunningPoller(client(), initial, { intervalInMs: 200 });
      const final = (await poller.pollUntilDone()) as any;
      assert.equal(final.body.status, "succeeded", JSON.stringify(final.body).slice(0, 500));
      assert.equal(final.body.result.succeededCount, DOCUMENTS);
      assert.equal(final.body.result.failedCount, 0);
      assert.equal(final.body.result.details.length, DOCUMENTS);
      assert.equal(new Set(final.body.result.details.map((d: { sourceUrl: string }) => d.sourceUrl)).size, DOCUMENTS);
      // Each result once: one blob per document, none overwritten with another version.
      const names = await listBlobNames(results);
      assert.equal(names.length, DOCUMENTS);
      for await (const blob of results.listBlobsFlat({ includeVersions: true })) assert.ok(names.includes(blob.name));
    } finally {
      try {
        process.kill(-local.child.pid!, "SIGTERM");
      } catch {
        // Already gone.
      }
      await local.exited;
    }
  });
}

test("a second npm run local on a --data folder in use refuses with a clear message; a stale lock is taken over", { timeout: 120_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-lock-"));
  // A lock left by a process that no longer exists: a crashed run.
  const gone = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => gone.on("exit", resolve));
  fs.writeFileSync(path.join(dataDir, "local.lock"), `${gone.pid}\n`);
  const first = await startLocal(dataDir, await freePort());
  try {
    assert.equal(fs.readFileSync(path.join(dataDir, "local.lock"), "utf8").trim(), String(first.child.pid));
    const second = spawn(process.execPath, [cli, "--data", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    second.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => second.on("exit", resolve));
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`in use by another \`npm run local\` \\(pid ${first.child.pid}\\)`));
  } finally {
    first.child.kill("SIGTERM");
  }
  assert.equal(await first.exited, 0, first.stderr());
  assert.ok(!fs.existsSync(path.join(dataDir, "local.lock")), "a stopped run releases its folder");
});

test("SIGTERM and SIGINT to `npm run local` stop the app and Azurite: no process of it is left", { timeout: 180_000 }, async () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-signal-"));
    const npm = spawn("npm", ["run", "local", "--", "--data", dataDir], { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stderr = "";
    npm.stderr!.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => npm.on("exit", (code) => resolve(code)));
    let printed = "";
    for await (const line of createInterface({ input: npm.stdout! })) {
      printed += `${line}\n`;
      if (line.startsWith("AZURE_STORAGE_CONNECTION_STRING=")) break;
    }
    assert.match(printed, /DOCBATCH_URL=http/, stderr);
    const lockOwner = Number(fs.readFileSync(path.join(dataDir, "local.lock"), "utf8"));
    npm.kill(signal);
    await exited;
    // Every process npm started (the host, Azurite) is in npm's group; all of them are gone.
    await groupGone(npm.pid!);
    assert.throws(() => process.kill(lockOwner, 0), "the local host process is gone");
    assert.ok(!fs.existsSync(path.join(dataDir, "local.lock")), `${signal}: the host stopped cleanly and released its folder`);
  }
});
