import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { makeCorruptPdf, makeDocx, makePlainText, makeTextPdf, PLAIN_STRUCTURED_TEXT } from "../support/documents.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { runPythonJson } from "../support/python.js";
import { EXTRACTION_MODEL, statementsAnswer } from "./support.js";

interface PythonBatchOutcome {
  guid: string;
  uploads: { jobGuid: string; index: number; totalDocuments: number }[];
  status: string;
  totalDocs: number;
  completedDocs: number;
  failedDocs: number;
  results: unknown[];
}

describe("DocuDevs upload batch through their own Python client", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let folder: string;
  before(async () => {
    fake = await startFakeOpenAiUpstream({ models: [EXTRACTION_MODEL] });
    docbatch = await startDocbatch({ checkOpenApi: true, env: { DOCBATCH_LLM_ENDPOINT: fake.baseUrl, DOCBATCH_LLM_MODELS: EXTRACTION_MODEL, DOCBATCH_EXTRACTION_MODEL: EXTRACTION_MODEL, DOCBATCH_LLM_TOKENS_PER_MINUTE: "10000000" } });
    folder = await mkdtemp(path.join(os.tmpdir(), "docudevs-"));
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  test("create_batch, upload_batch_document, process_batch and wait_until_ready(result_format='json') run a batch to the end", async () => {
    fake.script({ answer: statementsAnswer(["Aldebaran", PLAIN_STRUCTURED_TEXT.title, "Telescope"]) });
    const pdf = await makeTextPdf([{ blocks: [{ lines: ["Statement for Aldebaran Ltd", "Total due 10"] }] }]);
    const files = [
      { name: "aldebaran.pdf", bytes: pdf.bytes, mime_type: "application/pdf" },
      { name: "manual.docx", bytes: await makeDocx(), mime_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
      { name: "broken.pdf", bytes: makeCorruptPdf(), mime_type: "application/pdf" },
      { name: "ledger.txt", bytes: makePlainText({ title: "Telescope ledger", sections: [] }), mime_type: "text/plain" },
    ];
    const documents = [];
    for (const file of files) {
      const filePath = path.join(folder, file.name);
      await writeFile(filePath, file.bytes);
      documents.push({ path: filePath, mime_type: file.mime_type });
    }
    const outcome = await runPythonJson<PythonBatchOutcome>(
      { script: "docudevs_batch.py" },
      { env: { DOCBATCH_URL: docbatch.host.url, DOCBATCH_KEY: docbatch.apiKey, DOCUMENTS: JSON.stringify(documents) } },
    );
    assert.deepEqual(outcome.uploads.map((upload) => upload.index), [0, 1, 2, 3]);
    assert.ok(outcome.uploads.every((upload) => upload.jobGuid === outcome.guid));
    assert.equal(outcome.status, "COMPLETED");
    assert.deepEqual([outcome.totalDocs, outcome.completedDocs, outcome.failedDocs], [4, 3, 1]);
    assert.equal(outcome.results.length, 4);
    const customers = outcome.results.map((result) => (typeof result === "string" ? result.slice(0, 18) : (result as { statements: { customer: string }[] }).statements[0]!.customer));
    assert.deepEqual(customers, ["Aldebaran", PLAIN_STRUCTURED_TEXT.title, "Error: broken.pdf:", "Telescope"]);
    assert.ok(fake.maxInFlight <= 2, `max_concurrency=2 held (saw ${fake.maxInFlight})`);
  });
});
