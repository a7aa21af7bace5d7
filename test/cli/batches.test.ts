import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { cliEnv, emptyDataDir, runCli, startCli } from "../support/cli.js";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { holdingAnalyze, startFakeDocumentIntelligence, type FakeDocumentIntelligence } from "../support/fakeDocumentIntelligence.js";

const HELD_MODEL = "prebuilt-invoice";

/**
 * Documents of a passthrough model wait at the (fake) Document Intelligence until the test
 * releases them, so a batch is surely still running when the CLI is interrupted.
 */
describe("docbatch list, status, cancel and Ctrl-C (the CLI as a process)", () => {
  let fake: FakeDocumentIntelligence;
  let docbatch: Docbatch;
  let env: Record<string, string>;
  const held = holdingAnalyze();

  before(async () => {
    fake = await startFakeDocumentIntelligence({ analyze: held.analyze });
    docbatch = await startDocbatch({ checkOpenApi: true, env: { DOCUMENT_INTELLIGENCE_ENDPOINT: fake.endpoint, DOCUMENT_INTELLIGENCE_KEY: fake.key } });
    env = { ...cliEnv(docbatch), DOCBATCH_DATA: await emptyDataDir() };
  });
  after(async () => {
    held.releaseAll();
    await docbatch?.close();
    await fake?.close();
  });

  async function folderOf(count: number): Promise<string> {
    const folder = await mkdtemp(path.join(tmpdir(), "docbatch-cli-held-"));
    for (let i = 0; i < count; i++) await writeFile(path.join(folder, `invoice-${i}.txt`), `Invoice ${i}`);
    return folder;
  }

  async function startedBatchId(cli: ReturnType<typeof startCli>): Promise<string> {
    const stderr = await cli.waitForStderr(/Analyzing: /);
    return /Batch ([0-9a-f-]{36}) started/.exec(stderr)![1];
  }

  test("Ctrl-C stops following and leaves the batch running (exit 130); status shows it; cancel cancels it", async () => {
    const cli = startCli(["analyze", await folderOf(2), "--model", HELD_MODEL], { env });
    const id = await startedBatchId(cli);
    cli.child.kill("SIGINT");
    const run = await cli.done;
    assert.equal(run.exitCode, 130);
    assert.match(run.stderr, new RegExp(`Stopped following batch ${id}; it keeps running`));

    const running = await runCli(["status", id, "--json"], { env });
    assert.equal(running.exitCode, 0, running.stderr);
    assert.equal(JSON.parse(running.stdout).batch.outcome, "running");

    const listed = await runCli(["list", "--json"], { env });
    const row = (JSON.parse(listed.stdout).batches as { id: string; frontDoor: string; label: string }[]).find((b) => b.id === id);
    assert.deepEqual({ frontDoor: row?.frontDoor, label: row?.label }, { frontDoor: "documentIntelligence", label: HELD_MODEL });
    const table = await runCli(["list"], { env });
    assert.match(table.stdout, /^ID +FRONT DOOR +RUNS +STATUS +PROGRESS +CREATED$/m);
    assert.match(table.stdout, new RegExp(`^${id} +documentIntelligence +${HELD_MODEL} +running`, "m"));

    // Watching the running batch: it ends (exit 3) once the cancel below has stopped the batch.
    const watching = startCli(["status", id, "--watch"], { env });
    const canceled = await runCli(["cancel", id], { env });
    assert.equal(canceled.exitCode, 0, canceled.stderr);
    assert.match(canceled.stdout, new RegExp(`Canceled batch ${id}`));
    const watched = await watching.done;
    assert.equal(watched.exitCode, 3, watched.stderr);
    assert.match(watched.stdout, new RegExp(`Batch ${id} \\(${HELD_MODEL}\\) canceled: `));
    const after = await runCli(["status", id], { env });
    assert.equal(after.exitCode, 3, "a canceled batch exits 3");
    assert.match(after.stdout, /canceled/);
    const again = await runCli(["cancel", id], { env });
    assert.match(again.stdout, /already canceled: nothing to cancel/);
  });

  test("--cancel-on-exit cancels the batch on Ctrl-C", async () => {
    const cli = startCli(["analyze", await folderOf(1), "--model", HELD_MODEL, "--cancel-on-exit"], { env });
    const id = await startedBatchId(cli);
    cli.child.kill("SIGINT");
    const run = await cli.done;
    assert.equal(run.exitCode, 130);
    assert.match(run.stderr, new RegExp(`Canceled batch ${id}\\.`));
    const status = await docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", HELD_MODEL, id).get();
    assert.equal((status.body as { status: string }).status, "canceled");
  });

  test("dashboard prints the signed-in address: the key in the fragment, optionally a batch's page", async () => {
    const plain = await runCli(["dashboard"], { env });
    assert.equal(plain.exitCode, 0, plain.stderr);
    assert.equal(plain.stdout, `${docbatch.host.url}/dashboard#key=${encodeURIComponent(docbatch.apiKey)}\n`);
    const cli = startCli(["analyze", await folderOf(1), "--model", HELD_MODEL, "--cancel-on-exit"], { env });
    const id = await startedBatchId(cli);
    const batch = await runCli(["dashboard", "--batch", id], { env });
    assert.equal(batch.stdout, `${docbatch.host.url}/dashboard#key=${encodeURIComponent(docbatch.apiKey)}&/batch/documentIntelligence/${id}\n`);
    cli.child.kill("SIGINT");
    assert.equal((await cli.done).exitCode, 130);
  });

  test("list --watch refreshes until Ctrl-C, then exits 0", async () => {
    const cli = startCli(["list", "--watch"], { env });
    let seen = "";
    cli.child.stdout.on("data", (chunk: string) => (seen += chunk));
    await new Promise<void>((resolve, reject) => {
      const check = () => (/^ID +FRONT DOOR/m.test(seen) ? resolve() : setTimeout(check, 50));
      cli.done.then((run) => reject(new Error(`list --watch ended by itself (exit ${run.exitCode}): ${run.stderr}`)), reject);
      check();
    });
    cli.child.kill("SIGINT");
    const run = await cli.done;
    assert.equal(run.exitCode, 0, run.stderr);
    assert.match(run.stdout, /^ID +FRONT DOOR +RUNS +STATUS +PROGRESS +CREATED$/m);
  });

  test("status of an unknown id exits 1", async () => {
    const run = await runCli(["status", "3f0c6a2e-0000-4000-8000-000000000000"], { env });
    assert.equal(run.exitCode, 1);
    assert.match(run.stderr, /No batch 3f0c6a2e-0000-4000-8000-000000000000 in any front door/);
  });
});
