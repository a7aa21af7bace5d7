import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, test } from "node:test";
import { emptyDataDir, runCli } from "../support/cli.js";

/**
 * Settings a shell mangled: `export AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=...`
 * without quotes keeps only what comes before the first ';' (and runs the rest as commands); an
 * unquoted SAS URL stops at the first '&'. Each is one sentence saying what is wrong and how to
 * quote it, exit 1, no stack trace, and nothing is sent anywhere (the URL below has no server).
 */
describe("docbatch with settings a shell cut short", () => {
  let folder: string;
  let data: string;
  const nowhere = "http://127.0.0.1:9";
  before(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "docbatch-cli-bad-"));
    await writeFile(path.join(folder, "a.txt"), "a document");
    data = await emptyDataDir();
  });

  const assertOneSentence = (run: { exitCode: number | null; stderr: string; stdout: string }, pattern: RegExp) => {
    assert.equal(run.exitCode, 1, run.stderr);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `one line, no stack trace:\n${run.stderr}`);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(run.stderr, /TypeError|at .*\.js:\d+/);
  };

  test("a connection string cut at its first ';' (analyze and extract upload a folder)", async () => {
    const env = { DOCBATCH_URL: nowhere, DOCBATCH_KEY: "k", DOCBATCH_DATA: data, AZURE_STORAGE_CONNECTION_STRING: "DefaultEndpointsProtocol=http" };
    const analyze = await runCli(["analyze", folder], { env });
    assertOneSentence(analyze, /^docbatch: AZURE_STORAGE_CONNECTION_STRING 'DefaultEndpointsProtocol=http' is cut short: .*no AccountName\/AccountKey .*single quotes: export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=\.\.\.;AccountName=/);
  });

  test("a connection string whose endpoint is not a URL; the key never shows", async () => {
    const env = { DOCBATCH_URL: nowhere, DOCBATCH_KEY: "k", DOCBATCH_DATA: data, AZURE_STORAGE_CONNECTION_STRING: "AccountName=devstoreaccount1;AccountKey=c2VjcmV0LWtleQ==;BlobEndpoint=127.0.0.1:10000/devstoreaccount1" };
    const run = await runCli(["analyze", folder], { env });
    assertOneSentence(run, /blobendpoint='127\.0\.0\.1:10000\/devstoreaccount1', which is not a URL .*single quotes/);
    assert.doesNotMatch(run.stderr, /c2VjcmV0LWtleQ/);
  });

  test("a DOCBATCH_URL that is not an http(s) URL, for every command", async () => {
    for (const args of [["list"], ["status", "3f0c6a2e-0000-4000-8000-000000000000"], ["dashboard"], ["analyze", folder]]) {
      const run = await runCli(args, { env: { DOCBATCH_URL: "localhost:7071", DOCBATCH_KEY: "k", DOCBATCH_DATA: data } });
      assertOneSentence(run, /^docbatch: DOCBATCH_URL 'localhost:7071' is not an http\(s\) URL; .*single quotes: export DOCBATCH_URL='https:\/\/\.\.\.'/);
    }
  });

  test("a container URL whose SAS was cut at its first '&'", async () => {
    const env = { DOCBATCH_URL: nowhere, DOCBATCH_KEY: "k", DOCBATCH_DATA: data };
    const run = await runCli(["analyze", "https://account.blob.core.windows.net/documents?sv=2024-11-04"], { env });
    assertOneSentence(run, /^docbatch: The container URL 'https:\/\/account\.blob\.core\.windows\.net\/documents\?sv=2024-11-04' has a SAS without its signature \(sig=\): a shell cuts an unquoted value at the first ';' or '&'/);
  });
});
