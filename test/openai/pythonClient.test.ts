// The official Python `openai` package (test/python/openaiBatch.py, from .venv-test) against the
// OpenAI Batch and Files front door, in both of its client forms. Read from the client's source:
// OpenAI(base_url=<url>/v1) calls /v1/...; AzureOpenAI(azure_endpoint=<url>) calls /openai/... with
// ?api-version= on every request, and with azure_deployment it still sends batches and files to
// /openai/... (only inference endpoints move under /openai/deployments/{d}/, unlike the npm client,
// which creates batches there: batches.test.ts covers that route).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import type { Batch } from "openai/resources/batches";
import type { FileDeleted, FileObject } from "openai/resources/files";
import { clock } from "../../src/shared/clock.js";
import type { Docbatch } from "../support/docbatchHost.js";
import type { FakeOpenAiUpstream, FakeRequest } from "../support/fakeOpenAiUpstream.js";
import { runPythonJson } from "../support/python.js";
import { API_VERSION, chatLine, gate, jsonlOf, MODEL, startBatchHost, type RequestLine } from "./batchSupport.js";

type Form = "openai" | "azure" | "azure-deployment";
type Scenario = "run" | "list" | "cancel" | "validation" | "errors";

/** A line of an output or error file, as files.content gave it. */
interface ResultLine {
  id: string;
  custom_id: string;
  /** Every line these tests read got an answer (never a `response: null` one). */
  response: { status_code: number; request_id: string; body: any };
  error: { code: string; message: string } | null;
}

/** Batches and files as the Python client parsed them (model_dump): the same shape as the npm client's. */
interface PythonBatch extends Omit<Batch, "request_counts" | "usage"> {
  request_counts: NonNullable<Batch["request_counts"]>;
  usage: NonNullable<Batch["usage"]>;
}

interface RunOutcome {
  uploaded: FileObject;
  created: PythonBatch;
  done: PythonBatch;
  output: ResultLine[];
  errors: ResultLine[];
  outputFile: FileObject;
  errorFile: FileObject;
  outputBytes: number;
  outputs: string[];
  deleted: FileDeleted;
  retrieveDeleted: ClientError | null;
  contentDeleted: ClientError | null;
  listedAfterDelete: boolean;
  afterDelete: PythonBatch;
}

interface ListOutcome {
  ids: [string, string, string];
  inputIds: [string, string, string];
  first: { ids: string[]; hasMore: boolean; hasNextPage: boolean };
  second: string[];
  nextPage: string[];
  every: string[];
  onePage: { ids: string[]; hasMore: boolean };
  filesFirst: { ids: string[]; hasMore: boolean };
  files: { desc: string[]; asc: string[] };
  final: string[];
}

interface CancelOutcome {
  running: PythonBatch;
  cancelling: PythonBatch;
  done: PythonBatch;
  output: ResultLine[];
  errors: ResultLine[];
  again: PythonBatch;
}

interface ValidationOutcome {
  created: PythonBatch;
  done: PythonBatch;
}

interface ClientError {
  class: string;
  status: number;
  body: { message: string; type: string; param: string | null; code: string | null };
  code: string | null;
  param: string | null;
  type: string;
}

/** Lines as each form's guide writes them: Azure's without /v1. Prompts name the form so rules match one run. */
function lineFor(form: Form, i: number, overrides: Partial<RequestLine> = {}): RequestLine {
  const url = form === "openai" ? "/v1/chat/completions" : "/chat/completions";
  return chatLine(i, { url, body: { model: MODEL, messages: [{ role: "user", content: `${form} question ${i}` }], max_tokens: 20 }, ...overrides });
}

const asked = (text: string) => (request: FakeRequest) => request.promptText === text;
const HOUR_MS = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("OpenAI Batch and Files API through the official Python openai client", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let folder: string;
  before(async () => {
    // One activity at a time: most of the cancelled batch is still queued when the client cancels.
    ({ fake, docbatch } = await startBatchHost({ maxConcurrentActivities: 1 }));
    folder = await mkdtemp(path.join(os.tmpdir(), "openai-python-"));
  });
  afterEach(() => {
    fake.reset();
    clock.reset();
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  /** Whether docbatch shows the cancel scenario's batch past in_progress (the client has cancelled it). */
  async function cancelSeen(): Promise<boolean> {
    const answer = await fetch(`${docbatch.host.url}/v1/batches?limit=10`, { headers: { authorization: `Bearer ${docbatch.apiKey}` } });
    const list = (await answer.json()) as { data: Batch[] };
    return list.data.some((batch) => batch.metadata?.scenario === "cancel" && batch.status !== "validating" && batch.status !== "in_progress");
  }

  async function python<T>(scenario: Scenario, form: Form, lines: readonly unknown[]): Promise<T & { requests: string[] }> {
    const input = path.join(folder, `${scenario}-${form}.jsonl`);
    await writeFile(input, jsonlOf(lines));
    return runPythonJson<T & { requests: string[] }>(
      { script: "openaiBatch.py" },
      { args: [scenario, form], env: { DOCBATCH_URL: docbatch.host.url, DOCBATCH_KEY: docbatch.apiKey, MODEL, INPUT: input }, timeoutMs: 60_000 },
    );
  }

  for (const form of ["openai", "azure", "azure-deployment"] as const) {
    test(`${form}: a batch end to end — output and error files, a 500 retried, then files.retrieve/list/delete`, async () => {
      fake.reject(asked(`${form} question 3`), { status: 400, message: "This prompt is not allowed.", code: "content_filter" });
      fake.failOnce(asked(`${form} question 5`));
      // The batch runs for two hours (as far as docbatch's clock goes): its result files, made
      // at the end, expire an hour after they are made (OpenAI anchors output_expires_after at
      // the file's creation, not the batch's), so they are there to download.
      fake.script({ match: asked(`${form} question 9`), times: 1, answer: () => (clock.advance(2 * HOUR_MS), {}) });
      const outcome = await python<RunOutcome>("run", form, Array.from({ length: 10 }, (_, i) => lineFor(form, i)));
      const { uploaded, created, done } = outcome;
      assert.match(uploaded.id, /^file-/);
      assert.deepEqual([uploaded.object, uploaded.purpose, uploaded.filename], ["file", "batch", `run-${form}.jsonl`]);
      assert.equal(uploaded.expires_at, uploaded.created_at + 86400);
      assert.equal(uploaded.bytes, Buffer.byteLength(jsonlOf(Array.from({ length: 10 }, (_, i) => lineFor(form, i)))));
      assert.match(created.id, /^batch_/);
      assert.deepEqual([created.status, created.input_file_id, created.completion_window], ["validating", uploaded.id, "24h"]);
      assert.equal(created.endpoint, form === "openai" ? "/v1/chat/completions" : "/chat/completions");
      assert.deepEqual(created.metadata, { form });
      assert.equal(created.expires_at, created.created_at + 24 * 3600);

      assert.equal(done.status, "completed");
      assert.deepEqual(done.request_counts, { total: 10, completed: 9, failed: 1 });
      assert.equal(done.model, MODEL);
      assert.ok(done.in_progress_at && done.finalizing_at && done.completed_at);
      assert.ok(done.usage.input_tokens > 0 && done.usage.output_tokens > 0);
      assert.equal(done.usage.total_tokens, done.usage.input_tokens + done.usage.output_tokens);

      // Every line answered, in input order, each carrying its own answer; line 3 in the error file.
      const expected = Array.from({ length: 10 }, (_, i) => i).filter((i) => i !== 3);
      assert.deepEqual(outcome.output.map((line) => line.custom_id), expected.map((i) => `task-${i}`));
      for (const [n, line] of outcome.output.entries()) {
        assert.match(line.id, /^batch_req_/);
        assert.equal(line.error, null);
        assert.equal(line.response.status_code, 200);
        assert.match(line.response.request_id, /^req_/);
        assert.equal(line.response.body.object, "chat.completion");
        assert.equal(line.response.body.choices[0].message.content, `echo: ${form} question ${expected[n]}`);
      }
      assert.equal(outcome.errors.length, 1);
      const [rejected] = outcome.errors;
      assert.equal(rejected!.custom_id, "task-3");
      assert.equal(rejected!.error, null);
      assert.equal(rejected!.response.status_code, 400);
      assert.deepEqual(rejected!.response.body.error, { message: "This prompt is not allowed.", type: "invalid_request_error", param: null, code: "content_filter" });
      // Line 5 reached the upstream twice: once failing with 500, once answered.
      assert.deepEqual(fake.requests.filter((request) => JSON.stringify(request.body).includes(`"${form} question 5"`)).map((request) => request.status), [500, 200]);

      assert.deepEqual([outcome.outputFile.id, outcome.outputFile.object, outcome.outputFile.purpose], [done.output_file_id, "file", "batch_output"]);
      assert.equal(outcome.outputFile.bytes, outcome.outputBytes);
      assert.deepEqual([outcome.errorFile.id, outcome.errorFile.purpose], [done.error_file_id, "batch_output"]);
      for (const file of [outcome.outputFile, outcome.errorFile]) assert.equal(file.expires_at, file.created_at + 3600, "output_expires_after counts from the file's creation");
      assert.ok(outcome.outputFile.created_at >= created.created_at + 2 * 3600);
      assert.ok(outcome.outputs.includes(done.output_file_id!) && outcome.outputs.includes(done.error_file_id!), "files.list(purpose='batch_output') lists both result files");
      assert.deepEqual(outcome.deleted, { id: uploaded.id, object: "file", deleted: true });
      for (const gone of [outcome.retrieveDeleted, outcome.contentDeleted]) {
        assert.ok(gone, "a deleted file raised nothing");
        assert.deepEqual([gone.class, gone.status], ["NotFoundError", 404]);
        assert.equal(gone.code, "file_not_found");
        assert.match(gone.body.message, new RegExp(uploaded.id));
      }
      assert.equal(outcome.listedAfterDelete, false);
      assert.deepEqual([outcome.afterDelete.status, outcome.afterDelete.output_file_id], ["completed", done.output_file_id]);

      // The routes each client form uses; Python's AzureOpenAI keeps batches and files under
      // /openai/ even with azure_deployment (it moves only the inference endpoints).
      const prefix = form === "openai" ? "/v1/" : "/openai/";
      assert.ok(outcome.requests.every((request) => request.split(" ")[1]!.startsWith(prefix)), outcome.requests.join("\n"));
      const apiVersion = outcome.requests.filter((request) => request.includes(`api-version=${API_VERSION}`)).length;
      assert.equal(apiVersion, form === "openai" ? 0 : outcome.requests.length);
      assert.ok(outcome.requests.some((request) => request.startsWith(`POST ${prefix}batches`)));
      assert.ok(!outcome.requests.some((request) => request.includes("/deployments/")));
    });
  }

  test("batches.list and files.list page with limit=1, `after` and the auto-pager, newest first", async () => {
    const outcome = await python<ListOutcome>("list", "openai", [lineFor("openai", 0)]);
    const [oldest, middle, newest] = outcome.ids;
    assert.deepEqual(outcome.first, { ids: [newest], hasMore: true, hasNextPage: true });
    assert.deepEqual(outcome.second, [middle]);
    assert.deepEqual(outcome.nextPage, [middle]);
    assert.deepEqual(outcome.every.slice(0, 3), [newest, middle, oldest]);
    assert.equal(new Set(outcome.every).size, outcome.every.length);
    assert.deepEqual(outcome.every, outcome.onePage.ids, "paging one by one finds what one page holds");
    assert.equal(outcome.onePage.hasMore, false);
    assert.ok(outcome.requests.includes(`GET /v1/batches?limit=1&after=${newest}`), "the auto-pager asks for the next page with after=<last id>");

    assert.deepEqual(outcome.filesFirst, { ids: [outcome.inputIds[2]], hasMore: true });
    const ours = (ids: string[]) => ids.filter((id) => outcome.inputIds.includes(id));
    assert.deepEqual(ours(outcome.files.desc), [...outcome.inputIds].reverse());
    assert.deepEqual(ours(outcome.files.asc), outcome.inputIds);
    assert.deepEqual([...outcome.files.asc].reverse(), outcome.files.desc);
    assert.equal(new Set(outcome.files.desc).size, outcome.files.desc.length);
    assert.deepEqual(outcome.final, ["completed", "completed", "completed"]);
  });

  test("batches.cancel on a running batch: cancelling, then cancelled with the lines done so far", async () => {
    // Lines 0-7 are answered at once; the rest wait until the cancel has taken hold.
    const released = gate();
    fake.script({ match: (request) => Number(request.promptText.split(" ").pop()) >= 8, answer: async () => (await released.wait, {}) });
    const watching = { stop: false };
    const release = (async () => {
      while (!watching.stop && !(await cancelSeen())) await sleep(50);
      // Past the moment activities may still hold the batch row they read before the cancel.
      await sleep(1100);
      released.open();
    })();
    let outcome: CancelOutcome;
    try {
      outcome = await python<CancelOutcome>("cancel", "azure", Array.from({ length: 300 }, (_, i) => lineFor("azure", i)));
    } finally {
      watching.stop = true;
      released.open();
      await release;
    }
    assert.equal(outcome.running.status, "in_progress");
    assert.ok(outcome.running.request_counts.completed >= 1);
    assert.equal(outcome.cancelling.status, "cancelling");
    assert.ok(outcome.cancelling.cancelling_at);
    const { done } = outcome;
    assert.equal(done.status, "cancelled");
    assert.ok(done.cancelled_at && done.cancelling_at);
    assert.equal(done.request_counts.total, 300);
    const completed = done.request_counts.completed;
    assert.ok(completed >= 8 && completed < 300, JSON.stringify(done.request_counts));
    assert.equal(outcome.output.length, completed);
    assert.deepEqual(outcome.errors, [], "nothing that ran failed; lines never started are not reported");
    for (const line of outcome.output) {
      assert.equal(line.response.status_code, 200);
      assert.equal(line.response.body.choices[0].message.content, `echo: azure question ${line.custom_id.slice("task-".length)}`);
    }
    const ids = outcome.output.map((line) => Number(line.custom_id.slice("task-".length)));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "output in input order");
    assert.ok(Array.from({ length: 8 }, (_, i) => i).every((i) => ids.includes(i)), "the lines answered before the cancel are in the output");
    assert.equal(fake.requests.length, completed, "no line was sent after the cancel took hold");
    assert.equal(outcome.again.status, "cancelled", "cancelling again answers the batch as it is");
  });

  test("validation failure: status failed with errors.data[] naming each problem's code and line", async () => {
    const lines = [lineFor("openai", 0), lineFor("openai", 1), lineFor("openai", 2, { url: "/v1/embeddings" }), lineFor("openai", 1)];
    const { created, done } = await python<ValidationOutcome>("validation", "openai", lines);
    assert.equal(created.status, "validating");
    assert.equal(done.status, "failed");
    assert.ok(done.failed_at);
    assert.equal(done.in_progress_at, null);
    assert.deepEqual([done.output_file_id, done.error_file_id], [null, null]);
    assert.equal(done.errors?.object, "list");
    assert.deepEqual(
      done.errors?.data?.map(({ code, line, param }) => ({ code, line, param })),
      [
        { code: "url_mismatch", line: 3, param: "url" },
        { code: "duplicate_custom_id", line: 4, param: "custom_id" },
      ],
    );
    assert.ok(done.errors!.data!.every((error) => error.message?.startsWith(`Line ${error.line}: `)));
    assert.equal(fake.requests.length, 0, "nothing of a failed file reaches the upstream");
  });

  test("error answers parse as the client's own exception types with OpenAI's error body", async () => {
    const outcome = await python<Record<string, ClientError | null> & { requests: string[] }>("errors", "azure", [lineFor("azure", 0)]);
    const expected: [string, string, number, string, string | null][] = [
      ["unknownBatch", "NotFoundError", 404, "batch_not_found", "batch_id"],
      ["cancelUnknownBatch", "NotFoundError", 404, "batch_not_found", "batch_id"],
      ["unknownFile", "NotFoundError", 404, "file_not_found", "id"],
      ["unknownFileContent", "NotFoundError", 404, "file_not_found", "id"],
      ["unknownInputFile", "NotFoundError", 404, "file_not_found", "input_file_id"],
      ["badWindow", "BadRequestError", 400, "invalid_value", "completion_window"],
      ["badEndpoint", "BadRequestError", 400, "invalid_value", "endpoint"],
      ["wrongKey", "AuthenticationError", 401, "invalid_api_key", null],
    ];
    assert.equal(outcome.unknownBatch?.body.message, "No such Batch object: batch_nope");
    for (const [name, errorClass, status, code, param] of expected) {
      const error = outcome[name];
      assert.ok(error, `${name} raised nothing`);
      assert.deepEqual([error.class, error.status, error.code, error.param, error.type], [errorClass, status, code, param, "invalid_request_error"], name);
      assert.deepEqual(Object.keys(error.body).sort(), ["code", "message", "param", "type"], name);
      assert.ok(error.body.message.length > 10, name);
    }
  });
});
