import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { cliEnv, emptyDataDir, runCli, startCli } from "../support/cli.js";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { makeCorruptPdf, makeTextPdf } from "../support/documents.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { EXTRACTION_MODEL, extractionEnv, statementsAnswer, uploadBatchHttp } from "../uploadBatch/support.js";

const STATEMENTS_SCHEMA = '{"statements":[{"date":"date","customer":"string","total":"number"}]}';
const MARKERS = ["Aldebaran", "Betelgeuse", "Capella"];

interface JsonSummary {
  batch: { id: string; frontDoor: string; status: string; outcome: string; counts: { succeeded: number; failed: number; skipped: number; total?: number } };
  failed: { name: string; code: string; message: string }[];
  downloaded?: { count: number; folder: string };
}

async function folderWith(files: Record<string, string | Uint8Array>): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), "docbatch-cli-extract-"));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
    await writeFile(path.join(folder, name), content);
  }
  return folder;
}

async function schemaFile(text = STATEMENTS_SCHEMA): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), "docbatch-cli-schema-")), "schema.json");
  await writeFile(file, text);
  return file;
}

describe("docbatch extract (the CLI as a process against the upload-batch front door)", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let env: Record<string, string>;
  before(async () => {
    fake = await startFakeOpenAiUpstream({ models: [EXTRACTION_MODEL] });
    docbatch = await startDocbatch({
      checkOpenApi: true,
      env: { ...extractionEnv(fake), DOCBATCH_TABLE_PREFIX: "cliExtract" },
    });
    env = { ...cliEnv(docbatch), DOCBATCH_DATA: await emptyDataDir() };
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  test("a folder is uploaded, extracted with the prompt and schema, results written to results.json; a broken PDF is reported and exits 2", async () => {
    fake.script({ answer: statementsAnswer(MARKERS) });
    const pdf = await makeTextPdf([{ blocks: [{ lines: ["Statement for Aldebaran Ltd", "Total due 10"] }] }]);
    const folder = await folderWith({
      "a/aldebaran.pdf": pdf.bytes,
      "b/betelgeuse notes.txt": "Statement for Betelgeuse, total 11",
      "c/d/capella.md": "# Capella\n\nTotal 12",
      "broken.pdf": makeCorruptPdf(),
    });
    const out = path.join(await mkdtemp(path.join(tmpdir(), "docbatch-cli-out-")), "results.json");
    const run = await runCli(["extract", folder, "--prompt", "Extract the statements", "--schema", await schemaFile(), "--concurrency", "2", "--out", out], { env });

    assert.equal(run.exitCode, 2, run.stderr + run.stdout);
    assert.match(run.stderr, /created; uploading 4 files/);
    assert.match(run.stderr, /Uploading: 4\/4/);
    assert.match(run.stderr, /Extracting: 4\/4 \(3 ok, 1 failed\)/, "plain progress off a terminal");
    assert.match(run.stdout, /COMPLETED in \S+: 3 succeeded, 1 failed\./);
    // path, code, message: the name once, then the code docbatch recorded.
    const failure = /^Failed \(1\):\n( {2}broken\.pdf {2}[A-Za-z_]+ {2}\S.*)$/m.exec(run.stdout);
    assert.ok(failure, run.stdout);
    assert.doesNotMatch(failure[1], /broken\.pdf.*broken\.pdf/, "the name is given once");
    const id = /Batch ([0-9a-f-]{36}) created/.exec(run.stderr)![1];
    const status = await runCli(["status", id], { env });
    assert.equal(status.exitCode, 2);
    assert.ok(status.stdout.includes(`Failed (1):\n${failure[1]}\n`), `status lists it the same way:\n${status.stdout}`);

    const written = JSON.parse(await readFile(out, "utf8")) as { file: string; result?: any; error?: string }[];
    const byFile = Object.fromEntries(written.map((entry) => [entry.file, entry]));
    assert.deepEqual(
      written.map((entry) => entry.file),
      ["a/aldebaran.pdf", "b/betelgeuse notes.txt", "broken.pdf", "c/d/capella.md"],
      "results in the folder's order, whatever order the uploads finished in",
    );
    assert.equal(byFile["a/aldebaran.pdf"].result.statements[0].customer, "Aldebaran", "each file's own result, whatever order uploads finished in");
    assert.equal(byFile["b/betelgeuse notes.txt"].result.statements[0].customer, "Betelgeuse");
    assert.equal(byFile["c/d/capella.md"].result.statements[0].customer, "Capella");
    assert.ok(byFile["broken.pdf"].error && !byFile["broken.pdf"].result);
    assert.ok(fake.requests.every((request) => JSON.stringify(request.body).includes("Extract the statements")), "the prompt reached the model");
    assert.ok(fake.maxInFlight <= 2, `--concurrency 2 holds (saw ${fake.maxInFlight} calls at once)`);
  });

  test("--out results.csv with --json: one summary on stdout, a CSV with file names; all succeeded exits 0", async () => {
    fake.script({ answer: statementsAnswer(MARKERS) });
    const folder = await folderWith({ "one.txt": "Aldebaran owes 10", "two.txt": "Capella owes 12" });
    const out = path.join(await mkdtemp(path.join(tmpdir(), "docbatch-cli-out-")), "results.csv");
    const run = await runCli(["extract", folder, "--schema", await schemaFile(), "--out", out, "--json"], { env });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.stderr, "", "no progress with --json");
    const summary = JSON.parse(run.stdout) as JsonSummary;
    assert.equal(summary.batch.frontDoor, "uploadBatch");
    assert.deepEqual(summary.batch.counts, { total: 2, succeeded: 2, failed: 0, skipped: 0, canceled: 0 });
    const lines = (await readFile(out, "utf8")).trim().split("\r\n");
    assert.equal(lines[0], "index,file,error,statements");
    assert.deepEqual(lines.slice(1).map((line) => line.split(",")[1]), ["one.txt", "two.txt"], "rows in the folder's order");
    assert.match(lines.find((line) => line.includes("one.txt"))!, /Aldebaran/);
  });

  test("bad input exits 1 before anything is created: a schema that is not JSON, an --out that is neither .json nor .csv, no prompt or schema", async () => {
    const folder = await folderWith({ "a.txt": "x" });
    const before = (await uploadBatchHttp(docbatch).call("GET", "/job/list?size=1000")).body.totalSize;
    const badSchema = await runCli(["extract", folder, "--schema", await schemaFile("{ not json")], { env });
    assert.equal(badSchema.exitCode, 1);
    assert.match(badSchema.stderr, /--schema .*schema\.json is not JSON/);
    const badOut = await runCli(["extract", folder, "--prompt", "p", "--out", "results.xml"], { env });
    assert.equal(badOut.exitCode, 1);
    assert.match(badOut.stderr, /name a \.json or \.csv file/);
    const nothing = await runCli(["extract", folder], { env });
    assert.equal(nothing.exitCode, 1);
    assert.match(nothing.stderr, /Give --prompt and\/or --schema/);
    const missing = await runCli(["extract", path.join(tmpdir(), "no-such-folder-here"), "--prompt", "p"], { env });
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /is not a folder/);
    assert.equal((await uploadBatchHttp(docbatch).call("GET", "/job/list?size=1000")).body.totalSize, before, "no batch was created");
  });

  test("Ctrl-C leaves the batch running (130); list and status show it as an upload batch; cancel cancels it (status exits 3)", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fake.script({
      answer: async (request) => {
        await held;
        return statementsAnswer(MARKERS)(request);
      },
    });
    try {
      const folder = await folderWith({ "1.txt": "Aldebaran", "2.txt": "Betelgeuse", "3.txt": "Capella", "4.txt": "Aldebaran again" });
      const cli = startCli(["extract", folder, "--prompt", "Extract", "--concurrency", "1"], { env });
      const stderr = await cli.waitForStderr(/Extracting: /);
      const id = /Batch ([0-9a-f-]{36}) created/.exec(stderr)![1];
      cli.child.kill("SIGINT");
      const interrupted = await cli.done;
      assert.equal(interrupted.exitCode, 130);
      assert.match(interrupted.stderr, new RegExp(`Stopped following batch ${id}; it keeps running`));

      const running = await runCli(["status", id, "--json"], { env });
      assert.equal(running.exitCode, 0, running.stderr);
      assert.deepEqual(
        { frontDoor: JSON.parse(running.stdout).batch.frontDoor, outcome: JSON.parse(running.stdout).batch.outcome },
        { frontDoor: "uploadBatch", outcome: "running" },
      );
      const listed = await runCli(["list"], { env });
      assert.match(listed.stdout, new RegExp(`^${id} +uploadBatch +extraction +PROCESSING`, "m"));

      const canceled = await runCli(["cancel", id], { env });
      assert.equal(canceled.exitCode, 0, canceled.stderr);
      assert.match(canceled.stdout, new RegExp(`Canceled batch ${id} \\(uploadBatch\\)`));
      release();
      const job = await uploadBatchHttp(docbatch).waitUntilDone(id);
      assert.equal(job.status, "ERROR");
      const after = await runCli(["status", id], { env });
      assert.equal(after.exitCode, 3, after.stdout + after.stderr);
      // DocuDevs' word, with how it ended; documents a cancel kept from running are not failures.
      const counts = /ERROR \(canceled\): (\d+) succeeded, 0 failed, (\d+) canceled\./.exec(after.stdout);
      assert.ok(counts, after.stdout);
      assert.equal(Number(counts[1]) + Number(counts[2]), 4);
      assert.ok(Number(counts[2]) > 0);
      assert.doesNotMatch(after.stdout, /Failed \(/);
      assert.match(after.stdout, /Batch error: .*canceled/);
      const again = await runCli(["cancel", id], { env });
      assert.match(again.stdout, /already ERROR \(canceled\): nothing to cancel/);
    } finally {
      release();
    }
  });
});
