import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { joinPdfs, makeScannedPdf, makeTextImage, makeTextPdf } from "../support/documents.js";
import { startFakeDocumentIntelligence, type FakeDocumentIntelligence } from "../support/fakeDocumentIntelligence.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { EXTRACTION_MODEL, statementsAnswer, uploadBatchHttp } from "./support.js";

const STATEMENTS_SCHEMA = '{"statements":[{"date":"date","customer":"string","total":"number"}]}';
/** What the fake Document Intelligence puts before every text it reads: proof of who read it. */
const CLOUD_MARK = "CloudReader";

let llm: FakeOpenAiUpstream;
let di: FakeDocumentIntelligence;
let docbatch: Docbatch;
let http: ReturnType<typeof uploadBatchHttp>;

before(async () => {
  llm = await startFakeOpenAiUpstream({ models: [EXTRACTION_MODEL] });
  di = await startFakeDocumentIntelligence({
    retryAfterSeconds: 0,
    analyze: ({ modelId, bytes, query }) => {
      const content = `${CLOUD_MARK} ${Buffer.from(bytes).toString("utf8").trim()}`;
      return {
        apiVersion: "2024-11-30",
        modelId,
        stringIndexType: query.stringIndexType,
        content,
        contentFormat: query.outputContentFormat ?? "text",
        pages: [{ pageNumber: 1, angle: 0, width: 8.5, height: 11, unit: "inch", spans: [{ offset: 0, length: content.length }], words: [], lines: [{ content, polygon: [1, 1, 5, 1, 5, 1.5, 1, 1.5], spans: [{ offset: 0, length: content.length }] }] }],
      };
    },
  });
  docbatch = await startDocbatch({
    checkOpenApi: true,
    env: {
      DOCBATCH_LLM_ENDPOINT: llm.baseUrl,
      DOCBATCH_LLM_API_KEY: "upstream-key",
      DOCBATCH_LLM_MODELS: EXTRACTION_MODEL,
      DOCBATCH_EXTRACTION_MODEL: EXTRACTION_MODEL,
      DOCBATCH_LLM_TOKENS_PER_MINUTE: "10000000",
      // Configured, but reading stays offline unless a batch asks for PREMIUM.
      DOCUMENT_INTELLIGENCE_ENDPOINT: di.endpoint,
      DOCUMENT_INTELLIGENCE_KEY: di.key,
      DOCUMENT_INTELLIGENCE_REQUESTS_PER_SECOND: "50",
    },
  });
  http = uploadBatchHttp(docbatch);
});
after(async () => {
  await docbatch?.close();
  await di?.close();
  await llm?.close();
});
beforeEach(() => llm.reset());

const analyzeCalls = (modelId?: string) => di.requests.filter((request) => request.method === "POST" && request.path.endsWith(":analyze") && (!modelId || request.path.includes(`/${modelId}:`)));

/** A PDF whose first page has a text layer and whose second page is only a scanned image, and a PNG. */
async function textAndScans() {
  const text = await makeTextPdf([{ blocks: [{ lines: ["Statement for Aldebaran Ltd"] }] }]);
  const scan = await makeScannedPdf([["SCANNED TELESCOPE PAGE"]]);
  const image = await makeTextImage("png", [["IMAGE ZEBRA"]], { fontSizePt: 28 });
  return [
    { bytes: await joinPdfs([text.bytes, scan.bytes]), name: "mixed.pdf", type: "application/pdf" },
    { bytes: image.bytes, name: "photo.png", type: "image/png" },
  ];
}

async function runBatch(documents: { bytes: Uint8Array; name: string; type: string }[], command: Record<string, unknown>) {
  const { jobGuid } = await http.create();
  for (const document of documents) assert.equal((await http.upload(jobGuid, document)).status, 200);
  const processed = await http.process(jobGuid, command);
  assert.equal(processed.status, 200, processed.text);
  const job = await http.waitUntilDone(jobGuid);
  const results = (await http.call("GET", `/job/result/${jobGuid}/json`)).body as unknown[];
  return { jobGuid, job, results };
}

describe("DocuDevs ocr levels", () => {
  it("ocr NONE reads text layers only: a scanned page yields no text, an image-only document fails saying why", async () => {
    const before = analyzeCalls().length;
    const { job, results } = await runBatch(await textAndScans(), { extractionMode: "OCR", ocr: "NONE" });
    assert.equal(job.status, "COMPLETED");
    assert.equal(job.completedDocs, 1);
    assert.equal(job.failedDocs, 1);
    assert.match(results[0] as string, /Aldebaran/, "the text layer is read");
    assert.doesNotMatch(results[0] as string, /TELESCOPE/i, "the scanned page is not OCR'd");
    assert.match(results[1] as string, /^Error: photo\.png: .*no text layer.*ocr DEFAULT/);
    assert.equal(analyzeCalls().length, before, "NONE never goes to Document Intelligence");
  });

  it("ocr DEFAULT OCRs scanned pages and images with the offline reader, even with Document Intelligence configured", async () => {
    const before = analyzeCalls().length;
    const { job, results } = await runBatch(await textAndScans(), { extractionMode: "OCR", ocr: "DEFAULT" });
    assert.equal(job.completedDocs, 2);
    assert.match(results[0] as string, /Aldebaran/);
    assert.match(results[0] as string, /TELESCOPE/i);
    assert.match(results[1] as string, /ZEBRA/i);
    assert.equal(analyzeCalls().length, before);
  });

  it("ocr PREMIUM reads with Document Intelligence prebuilt-layout when it is configured; the LLM extracts from its text", async () => {
    llm.script({ answer: statementsAnswer([CLOUD_MARK]) });
    const before = analyzeCalls("prebuilt-layout").length;
    const ledger = { bytes: new TextEncoder().encode("Ledger of Telescope Ltd, total 12"), name: "ledger.txt", type: "text/plain" };
    const { jobGuid, job, results } = await runBatch([ledger], { prompt: "Extract the statements", schema: STATEMENTS_SCHEMA, ocr: "PREMIUM" });
    assert.equal(job.completedDocs, 1, JSON.stringify(results));
    assert.equal(analyzeCalls("prebuilt-layout").length, before + 1, "one analyze call to prebuilt-layout");
    const call = analyzeCalls("prebuilt-layout").at(-1)!;
    assert.equal(call.query.outputContentFormat, "markdown");
    assert.equal((results[0] as any).statements[0].customer, CLOUD_MARK, "the model read the service's text");
    const sources = (await http.call("GET", `/job/result/${jobGuid}/source-locations?batchIndex=0`)).body;
    assert.deepEqual(sources["/statements/0/customer"].polygon, [1, 1, 5, 1, 5, 1.5, 1, 1.5], "locations come from the service's lines");
  });
});
