import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { cliEnv, emptyDataDir, runCli } from "../support/cli.js";
import { createContainer, listBlobNames, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { makeCorruptPdf, makeNoiseScan, makeTextPdf } from "../support/documents.js";

interface JsonSummary {
  batch: { id: string; status: string; outcome: string; counts: { succeeded: number; failed: number; skipped: number; total?: number } };
  failed: { name: string; code: string; message: string }[];
  downloaded?: { count: number; folder: string };
}

/** A folder of real documents on disk, nested, with names a shell would quote. */
async function documentFolder(files: Record<string, string | Uint8Array>): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), "docbatch-cli-docs-"));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
    await writeFile(path.join(folder, name), content);
  }
  return folder;
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(folder, path.join(e.parentPath, e.name)).split(path.sep).join("/")).sort();
}

describe("docbatch analyze (the CLI as a process against the app)", () => {
  let docbatch: Docbatch;
  let env: Record<string, string>;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
    env = { ...cliEnv(docbatch), DOCBATCH_DATA: await emptyDataDir() };
  });
  after(async () => docbatch?.close());

  test("a local folder is uploaded, analyzed and its results mirrored into --out; a broken PDF is reported and exits 2", async () => {
    const pdf = await makeTextPdf([{ blocks: [{ lines: ["Quarterly report from the CLI"] }] }]);
    const folder = await documentFolder({
      "notes.txt": "Alpha from the command line",
      "2024/march/report one.pdf": pdf.bytes,
      "2024/ünïcødé #1.md": "# Heading\n\nCharlie",
      "broken/scan.pdf": makeCorruptPdf(),
    });
    const out = path.join(await mkdtemp(path.join(tmpdir(), "docbatch-cli-out-")), "results");
    const run = await runCli(["analyze", folder, "--out", out], { env });

    assert.equal(run.exitCode, 2, run.stderr);
    assert.match(run.stderr, /Uploading 4 files/);
    assert.match(run.stderr, /Analyzing: 4\/4 \(3 ok, 1 failed\)/, "plain progress off a terminal");
    assert.match(run.stdout, /succeeded in \S+: 3 succeeded, 1 failed, 0 skipped\./);
    // One failure format for every command: path, the most specific code (DI's innererror), message.
    assert.match(run.stdout, /^Failed \(1\):\n {2}broken\/scan\.pdf {2}InvalidContent {2}.*PDF/m);
    const id = /Batch ([0-9a-f-]{36}) started/.exec(run.stderr)![1];
    const status = await runCli(["status", id], { env });
    assert.equal(status.exitCode, 2, "status of a batch with failed documents exits 2, as the run did");
    // The same line; status names the blob by its path in the container (the upload went under documents/).
    const reason = /InvalidContent {2}(.*)$/m.exec(run.stdout)![1];
    assert.ok(status.stdout.includes(`Failed (1):\n  documents/broken/scan.pdf  InvalidContent  ${reason}\n`), status.stdout);
    assert.deepEqual(await filesUnder(out), ["2024/march/report one.pdf.ocr.json", "2024/ünïcødé #1.md.ocr.json", "notes.txt.ocr.json"]);
    const report = JSON.parse(await readFile(path.join(out, "2024/march/report one.pdf.ocr.json"), "utf8"));
    assert.equal(report.status, "succeeded");
    assert.match(report.analyzeResult.content, /Quarterly report from the CLI/);
  });

  test("--json prints one summary; a second run into the same --container skips what exists (exit 0), --overwrite redoes it", async () => {
    const folder = await documentFolder({ "a.txt": "first", "sub/b.txt": "second" });
    const container = `cli${Date.now().toString(36)}`;
    const first = await runCli(["analyze", folder, "--container", container, "--json"], { env });
    assert.equal(first.exitCode, 0, first.stderr);
    assert.equal(first.stderr, "", "no progress with --json");
    const summary = JSON.parse(first.stdout) as JsonSummary;
    assert.equal(summary.batch.status, "succeeded");
    assert.deepEqual(summary.batch.counts, { succeeded: 2, failed: 0, skipped: 0, total: 2, canceled: 0 });
    assert.deepEqual(await listBlobNames(docbatch.blobService.getContainerClient(container)), [
      "documents/a.txt",
      "documents/sub/b.txt",
      "results/a.txt.ocr.json",
      "results/sub/b.txt.ocr.json",
    ]);

    const out = await mkdtemp(path.join(tmpdir(), "docbatch-cli-out-"));
    const again = await runCli(["analyze", folder, "--container", container, "--json", "--out", out], { env });
    assert.equal(again.exitCode, 0, again.stderr);
    const skipped = JSON.parse(again.stdout) as JsonSummary;
    assert.deepEqual(skipped.batch.counts, { succeeded: 0, failed: 0, skipped: 2, total: 2, canceled: 0 });
    assert.deepEqual(skipped.downloaded, { count: 2, folder: out }, "existing results are downloaded too");
    assert.deepEqual(await filesUnder(out), ["a.txt.ocr.json", "sub/b.txt.ocr.json"]);

    const redone = JSON.parse((await runCli(["analyze", folder, "--container", container, "--json", "--overwrite"], { env })).stdout) as JsonSummary;
    assert.deepEqual(redone.batch.counts, { succeeded: 2, failed: 0, skipped: 0, total: 2, canceled: 0 });
  });

  test("documents that succeeded with warnings (a page of noise) are listed after the summary, in text and JSON", async () => {
    const folder = await documentFolder({ "clean.txt": "Readable text", "scans/noise.png": await makeNoiseScan({ width: 600, height: 400 }) });
    const run = await runCli(["analyze", folder], { env });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.match(run.stdout, /2 succeeded, 0 failed/);
    assert.match(run.stdout, /Succeeded with warnings \(1\):\n {2}scans\/noise\.png: PageNotReadable: Page 1 could not be read/);
    const json = JSON.parse((await runCli(["analyze", folder, "--json"], { env })).stdout) as JsonSummary & { warned?: { name: string; warnings: string[] }[] };
    assert.deepEqual(json.warned?.map((item) => item.name), ["scans/noise.png"]);
  });

  test("a container URL with --prefix and --results is analyzed in place", async () => {
    const source = await createContainer(docbatch.blobService, { "in/x.txt": "in place", "in/y.txt": "also", "other/z.txt": "not under the prefix" });
    const results = await createContainer(docbatch.blobService);
    const out = await mkdtemp(path.join(tmpdir(), "docbatch-cli-out-"));
    const run = await runCli(
      ["analyze", await sasUrlFor(source, docbatch.azurite, "rl"), "--prefix", "in/", "--results", await sasUrlFor(results, docbatch.azurite, "rwlc"), "--out", out, "--json"],
      { env },
    );
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as JsonSummary).batch.counts, { succeeded: 2, failed: 0, skipped: 0, total: 2, canceled: 0 });
    assert.deepEqual(await listBlobNames(results), ["x.txt.ocr.json", "y.txt.ocr.json"]);
    assert.deepEqual(await filesUnder(out), ["x.txt.ocr.json", "y.txt.ocr.json"]);
  });

  test("bad input: a missing folder, an empty one and an unknown model exit 1 with a message", async () => {
    const missing = await runCli(["analyze", path.join(tmpdir(), "no-such-folder-here")], { env });
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /is not a folder/);
    const empty = await runCli(["analyze", await documentFolder({})], { env });
    assert.equal(empty.exitCode, 1);
    assert.match(empty.stderr, /holds no files/);
    const model = await runCli(["analyze", await documentFolder({ "a.txt": "x" }), "--model", "no-such-model"], { env });
    assert.equal(model.exitCode, 1);
    assert.match(model.stderr, /no model .no-such-model. \(it offers: .*prebuilt-read/);
    const noService = await runCli(["list"], { env: { DOCBATCH_DATA: await emptyDataDir() } });
    assert.equal(noService.exitCode, 1);
    assert.match(noService.stderr, /set DOCBATCH_URL and DOCBATCH_KEY, or start `npm run local`/);
  });
});
