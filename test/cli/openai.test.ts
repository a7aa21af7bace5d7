import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { cliEnv, emptyDataDir, runCli, startCli } from "../support/cli.js";
import type { Docbatch } from "../support/docbatchHost.js";
import type { FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { chatLine, gate, jsonlOf, startBatchHost } from "../openai/batchSupport.js";

async function requestsFile(lines: readonly unknown[], name = "requests.jsonl"): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), "docbatch-cli-openai-")), name);
  await writeFile(file, jsonlOf(lines));
  return file;
}

const linesOf = async (file: string) => (await readFile(file, "utf8")).split("\n").filter(Boolean).map((line) => JSON.parse(line));

describe("docbatch openai (the CLI as a process against the OpenAI Batch front door)", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let env: Record<string, string>;
  before(async () => {
    ({ fake, docbatch } = await startBatchHost());
    env = { ...cliEnv(docbatch), DOCBATCH_DATA: await emptyDataDir() };
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  test("uploads the file, runs the batch, downloads output and error files into --out; a line the upstream refuses is listed and exits 2", async () => {
    fake.reject((request) => JSON.stringify(request.body).includes("question 3"), { status: 400, message: "This prompt is not allowed.", code: "content_filter" });
    const input = await requestsFile(Array.from({ length: 6 }, (_, i) => chatLine(i)));
    const out = path.join(await mkdtemp(path.join(tmpdir(), "docbatch-cli-openai-out-")), "results");
    const run = await runCli(["openai", input, "--out", out], { env });

    assert.equal(run.exitCode, 2, run.stderr + run.stdout);
    assert.match(run.stderr, /Batch batch_[0-9a-f]{32} created \(\/v1\/chat\/completions, input file-/);
    assert.match(run.stderr, /Running: 6\/6 \(5 ok, 1 failed\)/, "plain progress off a terminal");
    assert.match(run.stdout, /completed in \S+: 5 succeeded, 1 failed\./);
    assert.doesNotMatch(run.stdout, /skipped/, "OpenAI batches skip nothing");
    // custom_id with its input line, code, message.
    assert.match(run.stdout, /Failed \(1\):\n {2}line 4 {2}task-3 {2}content_filter {2}HTTP 400: This prompt is not allowed\.$/m);
    assert.deepEqual((await readdir(out)).sort(), ["requests.errors.jsonl", "requests.output.jsonl"]);
    const output = await linesOf(path.join(out, "requests.output.jsonl"));
    assert.deepEqual(output.map((line) => line.custom_id).sort(), ["task-0", "task-1", "task-2", "task-4", "task-5"]);
    assert.ok(output.every((line) => line.response.status_code === 200));
    const errors = await linesOf(path.join(out, "requests.errors.jsonl"));
    assert.deepEqual(errors.map((line) => line.custom_id), ["task-3"]);

    const id = /Batch (batch_[0-9a-f]{32}) created/.exec(run.stderr)![1];
    const status = await runCli(["status", id], { env });
    assert.equal(status.exitCode, 2);
    assert.match(status.stdout, new RegExp(`Batch ${id} \\(/v1/chat/completions\\) completed: 5 succeeded, 1 failed\\.$`, "m"));
    assert.match(status.stdout, /Failed \(1\):\n {2}task-3 {2}content_filter {2}HTTP 400: This prompt is not allowed\.$/m);
  });

  test("--json with every line succeeding exits 0; files land next to the input; status and list show the batch", async () => {
    const input = await requestsFile([chatLine(0), chatLine(1)], "two.jsonl");
    const run = await runCli(["openai", input, "--json"], { env });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.stderr, "", "no progress with --json");
    const summary = JSON.parse(run.stdout) as { batch: { id: string; frontDoor: string; status: string; counts: Record<string, number> } };
    assert.equal(summary.batch.frontDoor, "openai");
    assert.equal(summary.batch.status, "completed");
    assert.deepEqual(summary.batch.counts, { total: 2, succeeded: 2, failed: 0, skipped: 0 });
    assert.deepEqual((summary as { failed?: unknown[] }).failed, []);
    assert.ok((await readdir(path.dirname(input))).includes("two.output.jsonl"));

    const status = await runCli(["status", summary.batch.id], { env });
    assert.equal(status.exitCode, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`Batch ${summary.batch.id} \\(/v1/chat/completions\\) completed`));
    const listed = await runCli(["list"], { env });
    assert.match(listed.stdout, new RegExp(`^${summary.batch.id} +openai +/v1/chat/completions +completed +2/2`, "m"));
  });

  test("a malformed file fails the batch with its problems one per line, the first 20 and a count (exit 3); a missing file exits 1", async () => {
    const input = await requestsFile([chatLine(0), "{ not json"]);
    const run = await runCli(["openai", input], { env });
    assert.equal(run.exitCode, 3, run.stderr + run.stdout);
    assert.match(run.stdout, /failed/);
    assert.match(run.stdout, /^Batch error: the input was refused \(1 problem\):\n {2}line 2 {2}invalid_json_line {2}is not valid JSON/m);
    assert.doesNotMatch(run.stdout, /Line 2/, "the line number is given once");

    const many = await requestsFile([chatLine(0), ...Array.from({ length: 25 }, (_, i) => `{ broken ${i}`)]);
    const refused = await runCli(["openai", many], { env });
    assert.equal(refused.exitCode, 3);
    const problems = refused.stdout.split("\n").filter((line) => /^ {2}line \d+ {2}invalid_json_line/.test(line));
    assert.deepEqual(problems.map((line) => Number(/line (\d+)/.exec(line)![1])), Array.from({ length: 20 }, (_, i) => i + 2));
    assert.match(refused.stdout, /^ {2}\.\.\. and 5 more$/m);
    const missing = await runCli(["openai", path.join(tmpdir(), "no-such-requests.jsonl")], { env });
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /is not a file/);
  });

  test("Ctrl-C with --cancel-on-exit cancels the batch; status then exits 3", async () => {
    const held = gate();
    fake.script({ answer: async () => (await held.wait, {}) });
    try {
      const input = await requestsFile(Array.from({ length: 20 }, (_, i) => chatLine(i)));
      const cli = startCli(["openai", input, "--cancel-on-exit"], { env });
      const stderr = await cli.waitForStderr(/Running: /);
      const id = /Batch (batch_[0-9a-f]{32}) created/.exec(stderr)![1];
      cli.child.kill("SIGINT");
      const run = await cli.done;
      assert.equal(run.exitCode, 130);
      assert.match(run.stderr, new RegExp(`Canceled batch ${id}`));
      held.open();
      let status = await runCli(["status", id, "--json"], { env });
      while (JSON.parse(status.stdout).batch.outcome === "running") status = await runCli(["status", id, "--json"], { env });
      assert.equal(JSON.parse(status.stdout).batch.status, "cancelled");
      assert.equal(status.exitCode, 3);
    } finally {
      held.open();
    }
  });
});
