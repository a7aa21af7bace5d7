import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { getLongRunningPoller, isUnexpected } from "@azure-rest/ai-document-intelligence";
import type { ContainerClient } from "@azure/storage-blob";
import { freePort } from "../support/azurite.js";
import { createContainer, listBlobNames, sasUrlFor } from "../support/docbatchHost.js";
import { clientsOf, groupGone, LOCAL_CLI as cli, startAnalyzeBatch, startLocal, stopLocal, type RunningLocal, type StartLocalOptions } from "../support/localProcess.js";
import { ENDPOINTS_FILE_NAME } from "../../local-host/endpointsFile.js";

const DOCUMENTS = 200;
const here = path.dirname(fileURLToPath(import.meta.url));
const crashHook = path.resolve(here, "../support/crashAfterResponse.js");

interface Interruption {
  /** Options of the first run (a fault hook that kills it). */
  first?: StartLocalOptions;
  /** Stops the first run once some results are written; resolves when it has exited. */
  interrupt(local: RunningLocal): Promise<void>;
}

/**
 * Starts a batch of DOCUMENTS documents on `npm run local --data`, interrupts the run mid-batch,
 * starts it again on the same folder and waits with the official client's poller: the batch must
 * end succeeded with every document counted once and each result written once (a result blob
 * that existed at the restart is never written again: its etag stays).
 */
async function survivesInterruption(interruption: Interruption): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-restart-"));
  // The same app port both times, as the client's operation-location names it.
  const port = await freePort();
  let local = await startLocal(dataDir, port, interruption.first);
  try {
    const documents: Record<string, string> = {};
    for (let i = 0; i < DOCUMENTS; i++) documents[`docs/d${String(i).padStart(3, "0")}.txt`] = `Document number ${i}\n\nSome words to read.`;
    const { initial, results } = await startAnalyzeBatch(local, documents);

    await interruption.interrupt(local);
    // Nothing is left behind: Azurite went with its parent (saving its stores, also after a
    // SIGKILL of the app). Hard kills of Azurite too: killAnywhere.test.ts.
    await groupGone(local.child.pid!);

    local = await startLocal(dataDir, port);
    const before = await etags(results);
    assert.ok(before.size > 0 && before.size < DOCUMENTS, `interrupted mid-batch: ${before.size} of ${DOCUMENTS} results written`);
    const poller = getLongRunningPoller(clientsOf(local).documentIntelligence(), initial, { intervalInMs: 200 });
    const final = (await poller.pollUntilDone()) as any;
    assert.equal(final.body.status, "succeeded", JSON.stringify(final.body).slice(0, 500));
    assert.equal(final.body.result.succeededCount, DOCUMENTS);
    assert.equal(final.body.result.failedCount, 0);
    assert.equal(final.body.result.details.length, DOCUMENTS);
    assert.equal(new Set(final.body.result.details.map((d: { sourceUrl: string }) => d.sourceUrl)).size, DOCUMENTS);
    // Each result once: one blob per document, and none written before the restart written again.
    const after = await etags(results);
    assert.equal(after.size, DOCUMENTS);
    for (const [name, etag] of before) assert.equal(after.get(name), etag, `${name} was written again after the restart`);
  } finally {
    await stopLocal(local);
  }
}

async function etags(container: ContainerClient): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const blob of container.listBlobsFlat()) found.set(blob.name, blob.properties.etag!);
  return found;
}

/** Resolves once some (not all) results of the run's only result container are written. */
async function someResultsWritten(local: RunningLocal): Promise<void> {
  const { blobService } = clientsOf(local);
  for (;;) {
    for await (const container of blobService.listContainers()) {
      const written = (await listBlobNames(blobService.getContainerClient(container.name))).filter((name) => name.endsWith(".ocr.json")).length;
      if (written > 0) {
        assert.ok(written < DOCUMENTS, "the batch finished before it could be interrupted");
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const signal of ["SIGKILL", "SIGTERM"] as const) {
  test(`a batch of ${DOCUMENTS} documents survives ${signal} mid-batch and a restart on the same --data folder`, { timeout: 300_000 }, async (t) => {
    await survivesInterruption({
      interrupt: async (local) => {
        await someResultsWritten(local);
        const signalled = performance.now();
        local.child.kill(signal);
        const exit = await local.exited;
        // Reported, not asserted (no timing assertions): how long a stop with items in flight takes.
        t.diagnostic(`${signal}: the run exited ${Math.round(performance.now() - signalled)} ms after the signal`);
        // A graceful stop gives the items in flight back (not failed) and exits cleanly.
        if (signal === "SIGTERM") assert.equal(exit.code, 0, local.stderr());
      },
    });
  });
}

test(`a crash inside an activity after its result is written, before its item's status is recorded: the batch of ${DOCUMENTS} finishes exactly once after a restart`, { timeout: 300_000 }, async () => {
  await survivesInterruption({
    // The process SIGKILLs itself the moment Azurite answers the 20th result upload.
    first: { nodeArgs: ["--import", crashHook], env: { DOCBATCH_TEST_CRASH: "PUT \\.ocr\\.json$ 20" } },
    interrupt: async (local) => {
      const exit = await local.exited;
      assert.equal(exit.signal, "SIGKILL", `the fault hook crashed the run: ${local.stderr()}`);
    },
  });
});

test("a batch accepted just before a crash, its orchestration never started, is started by the stranded-batch sweep after a restart", { timeout: 300_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-stranded-"));
  const port = await freePort();
  // The process SIGKILLs itself the moment Azurite has stored the batch's row: before the orchestration starts.
  let local = await startLocal(dataDir, port, { nodeArgs: ["--import", crashHook], env: { DOCBATCH_TEST_CRASH: "POST /docbatchBatches$ 1" } });
  const count = 20;
  try {
    const { blobService, azurite, documentIntelligence } = clientsOf(local);
    const documents: Record<string, string> = {};
    for (let i = 0; i < count; i++) documents[`docs/s${String(i).padStart(2, "0")}.txt`] = `Stranded document ${i}`;
    const source = await createContainer(blobService, documents);
    const results = await createContainer(blobService);
    const accepted = async () => documentIntelligence()
      .path("/documentModels/{modelId}:analyzeBatch", "prebuilt-read")
      .post({
        contentType: "application/json",
        body: { azureBlobSource: { containerUrl: await sasUrlFor(source, azurite, "rl") }, resultContainerUrl: await sasUrlFor(results, azurite) },
      });
    await assert.rejects(accepted, "the request died with the process");
    assert.equal((await local.exited).signal, "SIGKILL", local.stderr());
    await groupGone(local.child.pid!);

    // Restarted with the sweep on every second and no quiet period, so the test need not wait 15 minutes.
    local = await startLocal(dataDir, port, { env: { DOCBATCH_PURGE_SCHEDULE: "* * * * * *", DOCBATCH_STRANDED_AFTER_MINUTES: "0" } });
    const client = clientsOf(local).documentIntelligence();
    const listed = await client.path("/documentModels/{modelId}/analyzeBatchResults", "prebuilt-read").get();
    if (isUnexpected(listed)) throw new Error(`list answered ${listed.status}`);
    assert.equal(listed.body.value.length, 1, "the batch was stored before the crash");
    const route = client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", "prebuilt-read", listed.body.value[0].resultId!);
    let status;
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = await route.get();
      if (isUnexpected(status)) throw new Error(`status answered ${status.status}`);
    } while (!["succeeded", "failed", "canceled"].includes(status.body.status));
    assert.equal(status.body.status, "succeeded", JSON.stringify(status.body).slice(0, 500));
    assert.equal(status.body.result?.succeededCount, count);
    assert.equal((await etags(results)).size, count);
    assert.match(local.stderr(), /started again: its orchestration was missing/);
  } finally {
    await stopLocal(local);
  }
});

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
  assert.equal((await first.exited).code, 0, first.stderr());
  assert.ok(!fs.existsSync(path.join(dataDir, "local.lock")), "a stopped run releases its folder");
});

/** `npm run local --data <new folder>` as a user starts it, in its own process group. */
function spawnNpmRunLocal(root: string) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-signal-"));
  const npm = spawn("npm", ["run", "local", "--", "--data", dataDir], {
    cwd: root,
    // npm test built dist/ already; a rebuild here would rewrite files other tests are loading.
    env: { ...process.env, DOCBATCH_SKIP_BUILD: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stderr = "";
  npm.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => npm.on("exit", (code) => resolve(code)));
  return { npm, dataDir, exited, stderr: () => stderr };
}

/** After a signal: every process npm started (the host, Azurite) is gone and the folder is released. */
async function stoppedCleanly(run: ReturnType<typeof spawnNpmRunLocal>, lockOwner: number, what: string): Promise<void> {
  const code = await run.exited;
  await groupGone(run.npm.pid!);
  assert.throws(() => process.kill(lockOwner, 0), "the local host process is gone");
  assert.ok(!fs.existsSync(path.join(run.dataDir, "local.lock")), `${what}: the host stopped cleanly and released its folder; stderr: ${run.stderr()}`);
  assert.ok(!fs.existsSync(path.join(run.dataDir, ENDPOINTS_FILE_NAME)), `${what}: the endpoints file is removed`);
  assert.equal(code, 0, `${what}: npm run local exited 0; stderr: ${run.stderr()}`);
}

test("SIGTERM and SIGINT to `npm run local` stop the app and Azurite: no process of it is left", { timeout: 180_000 }, async () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const run = spawnNpmRunLocal(root);
    let printed = "";
    for await (const line of createInterface({ input: run.npm.stdout! })) {
      printed += `${line}\n`;
      if (line.startsWith("AZURE_STORAGE_CONNECTION_STRING=")) break;
    }
    assert.match(printed, /DOCBATCH_URL=http/, `${signal}: npm run local did not print its endpoints; stderr: ${run.stderr()}`);
    const lockOwner = Number(fs.readFileSync(path.join(run.dataDir, "local.lock"), "utf8"));
    run.npm.kill(signal);
    await stoppedCleanly(run, lockOwner, signal);
  }
});

test("a signal while `npm run local` is still starting stops it cleanly too: the folder is released, nothing is left running", { timeout: 180_000 }, async () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const run = spawnNpmRunLocal(root);
    run.npm.stdout!.resume();
    // The lock is the first thing a run takes, before Azurite and the app start.
    const lockFile = path.join(run.dataDir, "local.lock");
    let lockOwner = NaN;
    while (!Number.isInteger(lockOwner) || lockOwner <= 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (fs.existsSync(lockFile)) lockOwner = Number.parseInt(fs.readFileSync(lockFile, "utf8"), 10);
    }
    run.npm.kill(signal);
    await stoppedCleanly(run, lockOwner, `${signal} during startup`);
  }
});
