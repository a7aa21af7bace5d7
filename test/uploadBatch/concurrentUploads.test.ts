import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { makePlainText } from "../support/documents.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { EXTRACTION_MODEL, extractionEnv, statementsAnswer, uploadBatchHttp } from "./support.js";

const MAX_DOCUMENTS = 80;

describe("upload batches: indexes under concurrent uploads", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let http: ReturnType<typeof uploadBatchHttp>;
  before(async () => {
    fake = await startFakeOpenAiUpstream({ models: [EXTRACTION_MODEL] });
    docbatch = await startDocbatch({ env: { ...extractionEnv(fake), DOCBATCH_UPLOAD_MAX_DOCUMENTS: String(MAX_DOCUMENTS) } });
    http = uploadBatchHttp(docbatch);
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });

  const upload = (guid: string, i: number) => http.upload(guid, { bytes: makePlainText({ title: `Document ${i}`, sections: [{ heading: "Statement", paragraphs: [`Document ${i} total 10.`] }] }), name: `d${i}.txt`, type: "text/plain" });

  it("64 concurrent uploads get indexes 0..63, each exactly once, and the limit refuses the rest with 400", async () => {
    const { jobGuid } = await http.create();
    const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => upload(jobGuid, i)));
    assert.deepEqual(answers.map((answer) => answer.status), new Array(64).fill(200), JSON.stringify(answers.find((answer) => answer.status !== 200)?.body));
    assert.deepEqual(answers.map((answer) => answer.body.index).sort((a, b) => a - b), Array.from({ length: 64 }, (_, i) => i));
    for (const answer of answers) assert.equal(answer.body.totalDocuments, answer.body.index + 1);
    assert.equal((await http.status(jobGuid)).body.totalDocs, 64);

    const more = await Promise.all(Array.from({ length: 20 }, (_, i) => upload(jobGuid, 64 + i)));
    assert.equal(more.filter((answer) => answer.status === 200).length, MAX_DOCUMENTS - 64);
    for (const refused of more.filter((answer) => answer.status !== 200)) {
      assert.equal(refused.status, 400);
      assert.match(refused.body.message, new RegExp(`holds ${MAX_DOCUMENTS} documents`));
    }
    assert.equal((await http.status(jobGuid)).body.totalDocs, MAX_DOCUMENTS);
    const results = await http.call("GET", `/job/result/${jobGuid}/json`);
    assert.equal(results.body.length, MAX_DOCUMENTS, "one entry per upload, null while pending");
  });

  it("uploads racing process are either counted by it or refused with 409; none is accepted and left out", async () => {
    fake.script({ answer: statementsAnswer(["Document"]) });
    const { jobGuid } = await http.create();
    for (let i = 0; i < 3; i++) assert.equal((await upload(jobGuid, i)).status, 200);
    const racing = Array.from({ length: 24 }, (_, i) => upload(jobGuid, 3 + i));
    const processed = http.process(jobGuid, { prompt: "List the statements." });
    const [answers, processAnswer] = await Promise.all([Promise.all(racing), processed]);
    assert.equal(processAnswer.status, 200, processAnswer.text);
    const accepted = answers.filter((answer) => answer.status === 200);
    for (const refused of answers.filter((answer) => answer.status !== 200)) assert.equal(refused.status, 409, refused.text);
    const total = (await http.status(jobGuid)).body.totalDocs;
    assert.equal(total, 3 + accepted.length);
    assert.deepEqual(accepted.map((answer) => answer.body.index).sort((a, b) => a - b), Array.from({ length: accepted.length }, (_, i) => 3 + i));
    assert.equal((await upload(jobGuid, 99)).status, 409);
    const done = await http.waitUntilDone(jobGuid);
    assert.equal(done.totalDocs, total);
    assert.equal(done.completedDocs + done.failedDocs, total);
  });
});
