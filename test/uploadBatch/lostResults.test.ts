import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { TableStatusStore } from "../../src/storage/tableStatusStore.js";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { makePlainText } from "../support/documents.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { EXTRACTION_MODEL, extractionEnv, statementsAnswer, uploadBatchHttp } from "./support.js";

const SCHEMA = '{"statements":[{"date":"date","customer":"string","total":"number"}]}';
const CUSTOMERS = ["Aldebaran", "Betelgeuse", "Capella", "Deneb"];

/**
 * An upload batch whose stored results storage lost after the documents were counted completed:
 * those documents are processed again before the job is COMPLETED, so `/job/result/{guid}/json`
 * has every result (no `null`s), and the counts add up.
 */
describe("upload batch with results lost under it", { timeout: 120_000 }, () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  const tablePrefix = `ul${randomUUID().replace(/-/g, "").slice(0, 10)}`;
  before(async () => {
    fake = await startFakeOpenAiUpstream({ models: [EXTRACTION_MODEL] });
    docbatch = await startDocbatch({ env: { ...extractionEnv(fake), DOCBATCH_TABLE_PREFIX: tablePrefix } });
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });

  it("a lost result and a lost outcome are processed again; every result is there, counted once", async () => {
    const http = uploadBatchHttp(docbatch);
    fake.script({ answer: statementsAnswer(CUSTOMERS), match: (request) => request.endpoint === "/chat/completions" });
    const { jobGuid } = await http.create({});
    for (const customer of CUSTOMERS) {
      const bytes = makePlainText({ title: `${customer} statement`, sections: [{ heading: "Total", paragraphs: [`Customer ${customer} owes 10.`] }] });
      assert.equal((await http.upload(jobGuid, { bytes, name: `${customer}.txt`, type: "text/plain" })).status, 200);
    }
    const firstCheck = docbatch.host.faults.failActivity("verifyBatch", { times: 1, message: "injected: check later" });
    assert.equal((await http.process(jobGuid, { prompt: "Extract the statements", schema: SCHEMA })).status, 200);
    const deadline = Date.now() + 60_000;
    while (firstCheck.triggered === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(firstCheck.triggered, 1);
    const callsBefore = fake.requests.length;

    const storage = createAppStorage({ AzureWebJobsStorage: docbatch.azurite.connectionString });
    await storage.blobService.getContainerClient(`${tablePrefix.toLowerCase()}-uploads`).getBlobClient(`${jobGuid}/results/000001.json`).delete();
    assert.equal(await new TableStatusStore(storage, { tablePrefix }).reopenItems(jobGuid, [3]), 1);

    const job = await http.waitUntilDone(jobGuid);
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual([job.totalDocs, job.completedDocs, job.failedDocs, job.inProgressDocs], [4, 4, 0, 0]);
    const results = await http.call("GET", `/job/result/${jobGuid}/json`);
    assert.deepEqual(
      results.body.map((result: any) => result?.statements?.[0]?.customer ?? null),
      CUSTOMERS,
    );
    assert.equal(fake.requests.length - callsBefore, 2, "the two documents were extracted again, once each");
  });
});
