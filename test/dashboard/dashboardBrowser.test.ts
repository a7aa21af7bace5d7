import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI, { toFile } from "openai";
import { chromium, type Browser, type Page } from "playwright-core";
import { createContainer, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { FakeServiceError, holdingAnalyze, startFakeDocumentIntelligence, type FakeAnalyzeRequest, type FakeDocumentIntelligence } from "../support/fakeDocumentIntelligence.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";

const OUTPUT = path.resolve("test-output");
/** Documents of this model go to the fake Document Intelligence; prebuilt-read runs offline. */
const FAKE_MODEL = "prebuilt-invoice";
const RUNNING_DOCUMENTS = 40;
const MODEL = "gpt-4o-mini";
const PASSWORD_REASON = { code: "PasswordProtected", message: "The PDF is protected by a password." };

/**
 * The dashboard as a user drives it, in headless Chromium (Debian's, never a downloaded one).
 * The fake Document Intelligence refuses documents whose text says "locked" as the service refuses
 * a password-protected PDF (InvalidRequest, the reason in innererror), and holds documents whose
 * text says "hold" until the test lets them go, so a running batch moves when the test says.
 */
describe("dashboard in headless Chromium", () => {
  let docbatch: Docbatch;
  let browser: Browser;
  let fake: FakeDocumentIntelligence;
  let upstream: FakeOpenAiUpstream;
  let page: Page;
  const held = holdingAnalyze();
  const ids = { refused: "", partial: "", running: "" };

  before(async () => {
    fake = await startFakeDocumentIntelligence({
      analyze: (request: FakeAnalyzeRequest) => {
        const text = Buffer.from(request.bytes).toString("utf8");
        if (text.includes("locked")) throw new FakeServiceError("InvalidRequest", "Invalid request.", PASSWORD_REASON);
        if (text.includes("hold")) return held.analyze(request);
        return { apiVersion: "2024-11-30", modelId: request.modelId, content: text, pages: [{ pageNumber: 1, spans: [{ offset: 0, length: text.length }] }] };
      },
    });
    upstream = await startFakeOpenAiUpstream({ models: [MODEL] });
    docbatch = await startDocbatch({
      checkOpenApi: true,
      maxConcurrentActivities: 1,
      env: { DOCUMENT_INTELLIGENCE_ENDPOINT: fake.endpoint, DOCUMENT_INTELLIGENCE_KEY: fake.key, DOCBATCH_LLM_ENDPOINT: upstream.baseUrl, DOCBATCH_LLM_MODELS: MODEL },
    });
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await mkdir(OUTPUT, { recursive: true });

    // 1. An OpenAI batch whose input file is refused: line 2 is not JSON, line 3 has no custom_id.
    const openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0 });
    const line = (i: number) => JSON.stringify({ custom_id: `task-${i}`, method: "POST", url: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: "hi" }] } });
    const input = [line(1), "{not json", JSON.stringify({ method: "POST", url: "/v1/chat/completions", body: { model: MODEL } }), line(4)].join("\n") + "\n";
    const file = await openai.files.create({ file: await toFile(Buffer.from(input), "requests.jsonl"), purpose: "batch" });
    ids.refused = (await openai.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" })).id;
    for (let batch = await openai.batches.retrieve(ids.refused); batch.status !== "failed"; batch = await openai.batches.retrieve(ids.refused)) {
      assert.ok(["validating", "failed"].includes(batch.status), `the refused batch is ${batch.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // 2. A finished DI batch with one password-protected document.
    const documents = await createContainer(docbatch.blobService, { "docs/invoice-a.txt": "invoice a", "docs/locked-contract.txt": "locked", "docs/invoice-b.txt": "invoice b" });
    const results = await createContainer(docbatch.blobService);
    const finished = await runBatch(docbatch, FAKE_MODEL, {
      azureBlobSource: { containerUrl: await sasUrlFor(documents, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    });
    ids.partial = new URL(finished.operationLocation).pathname.split("/").pop()!;

    // 3. A DI batch whose documents wait at the fake service.
    const many: Record<string, string> = {};
    for (let i = 0; i < RUNNING_DOCUMENTS; i++) many[`many/${String(i).padStart(3, "0")}.txt`] = `hold ${i}`;
    const big = await createContainer(docbatch.blobService, many);
    const bigResults = await createContainer(docbatch.blobService);
    const started = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", FAKE_MODEL).post({
      contentType: "application/json",
      body: { azureBlobSource: { containerUrl: await sasUrlFor(big, docbatch.azurite, "rl") }, resultContainerUrl: await sasUrlFor(bigResults, docbatch.azurite) },
    });
    assert.equal(started.status, "202");
    ids.running = new URL(started.headers["operation-location"]).pathname.split("/").pop()!;
  });
  after(async () => {
    held.releaseAll();
    await browser?.close();
    await docbatch?.close();
    await upstream?.close();
    await fake?.close();
  });

  const row = (id: string) => page.locator(`tr.batch[data-id="${id}"]`);
  const noHorizontalScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

  test("the page carries no data without a key; a key in the URL fragment signs in and leaves the address bar", async () => {
    await page.goto(`${docbatch.host.url}/dashboard`);
    assert.equal(await page.locator("#signin").isVisible(), true);
    assert.equal(await page.locator("tr.batch").count(), 0);
    await page.goto(`${docbatch.host.url}/dashboard#key=${encodeURIComponent(docbatch.apiKey)}`);
    await row(ids.partial).waitFor();
    assert.ok(!page.url().includes(docbatch.apiKey), `the key left the address: ${page.url()}`);
    assert.equal(await page.locator("#signin").isVisible(), false);

    // `docbatch dashboard --batch <id>` prints the key and the batch's page in one fragment.
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${docbatch.host.url}/dashboard#key=${encodeURIComponent(docbatch.apiKey)}&/batch/documentIntelligence/${ids.partial}`);
    await page.locator("#batchTitle", { hasText: ids.partial }).waitFor();
    assert.ok(page.url().endsWith(`/dashboard#/batch/documentIntelligence/${ids.partial}`), page.url());
    await page.goto(`${docbatch.host.url}/dashboard#/`);
  });

  test("a batch whose input was refused is not green and says why, in the list and on its page", async () => {
    const refused = row(ids.refused);
    await refused.waitFor();
    assert.equal(await refused.getAttribute("data-state"), "failed");
    assert.equal(await refused.locator(".chip").innerText(), "Failed");
    assert.equal(await refused.locator("[role=progressbar]").getAttribute("aria-valuenow"), "0");
    assert.equal(await refused.locator(".bar span.succeeded").count(), 0, "no green in the bar");
    assert.match(await refused.locator(".reason").innerText(), /invalid_json_line: Line 2 is not valid JSON/);
    assert.equal(await refused.locator(".total").innerText(), "No items ran");

    await refused.locator("a").click();
    const banner = page.locator("#batchError");
    await banner.waitFor();
    const problems = await banner.locator("li").allInnerTexts();
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems[0], /^Line 2 · invalid_json_line: /);
    assert.match(problems[1], /^Line 3 · invalid_request: 'custom_id' must be a non-empty string/);
    await page.screenshot({ path: path.join(OUTPUT, "dashboard-refused-1280.png"), fullPage: true });
    await page.goBack();
  });

  test("an item's real error reason is shown; the items filter by status, search by name and download as CSV; delete asks first", async () => {
    const partial = row(ids.partial);
    await partial.waitFor();
    assert.equal(await partial.getAttribute("data-state"), "partial");
    await partial.click();
    const items = page.locator("#items tr");
    await page.waitForFunction(() => document.querySelectorAll("#items tr").length === 3);
    const locked = page.locator('#items tr[data-status="failed"]');
    const reason = await locked.locator("td").nth(3).innerText();
    assert.match(reason.split("\n")[0], /^PasswordProtected: .*The PDF is protected by a password\./);
    assert.match(reason, /InvalidRequest/, "the front door's code is there too, second");
    assert.doesNotMatch(reason.split("\n")[0], /Invalid request/);

    await page.selectOption("#itemStatus", "failed");
    await page.waitForFunction(() => document.querySelectorAll("#items tr").length === 1);
    assert.match(await items.first().innerText(), /locked-contract\.txt/);
    await page.selectOption("#itemStatus", "");
    await page.fill("#itemSearch", "INVOICE-B");
    await page.waitForFunction(() => document.querySelectorAll("#items tr").length === 1 && document.querySelector("#items")!.textContent!.includes("invoice-b"));
    await page.fill("#itemSearch", "no such document");
    await page.locator("#noItems").waitFor();
    await page.fill("#itemSearch", "");
    await page.waitForFunction(() => document.querySelectorAll("#items tr").length === 3);

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#downloadFailed")]);
    const csv = (await readFile(await download.path())).toString("utf8").trimEnd().split("\r\n");
    assert.equal(download.suggestedFilename(), `${ids.partial}-failed.csv`);
    assert.equal(csv[0], "index,name,status,code,message,reason_code,reason_message,updated_at");
    assert.equal(csv.length, 2);
    assert.match(csv[1], /^\d+,docs\/locked-contract\.txt,failed,InvalidRequest,Invalid request\.,PasswordProtected,[^,]*The PDF is protected by a password\.[^,]*,/);

    assert.match(await page.locator("#request").textContent() ?? "", /prebuilt-invoice/);
    assert.doesNotMatch(await page.locator("#request").textContent() ?? "", /sig=/);
    assert.ok(await noHorizontalScroll(), "the batch page fits 1280 px");
    await page.screenshot({ path: path.join(OUTPUT, "dashboard-batch-1280.png"), fullPage: true });

    // Each item links to its result.
    await page.locator('#items tr[data-status="succeeded"] a.item-name', { hasText: "invoice-a" }).click();
    await page.locator("#resultDialog #resultJson", { hasText: "invoice a" }).waitFor();
    assert.match(await page.locator("#resultJson").innerText(), /"analyzeResult"/);
    await page.click("#resultClose");
    await locked.locator("a.item-name").click();
    await page.locator("#resultNote", { hasText: "only a succeeded" }).waitFor();
    await page.keyboard.press("Escape");


    // Delete asks first; "Keep it" keeps it.
    await page.click("#deleteBatch");
    await page.locator("#confirm").waitFor();
    await page.click("#confirm button[value=no]");
    assert.equal(await page.locator("#batch").isVisible(), true);
  });

  test("updated moves while a batch runs; the chart and rate follow; cancel from the page (confirmed) settles every document", async () => {
    await page.goto(`${docbatch.host.url}/dashboard#/`);
    const running = row(ids.running);
    await running.waitFor();
    await held.someWaiting();
    held.letWaitingGo();
    // Once something settled, the row's `updated` is an item's time, not the batch row's.
    await page.waitForFunction((id) => Number(document.querySelector(`tr.batch[data-id="${id}"] [role=progressbar]`)?.getAttribute("aria-valuenow")) > 0, ids.running);
    const before = await running.getAttribute("data-updated");
    await held.someWaiting();
    held.letWaitingGo();
    await page.waitForFunction(
      ([id, previous]) => Date.parse(document.querySelector(`tr.batch[data-id="${id}"]`)?.getAttribute("data-updated") ?? "") > Date.parse(previous),
      [ids.running, before!] as const,
    );
    assert.ok(await noHorizontalScroll(), "the list fits 1280 px");
    await page.screenshot({ path: path.join(OUTPUT, "dashboard-1280.png"), fullPage: true });

    await running.click();
    await page.locator("#cancelBatch").waitFor();
    await held.someWaiting();
    held.letWaitingGo();
    await page.waitForFunction(() => (document.querySelector("#figRate")?.textContent ?? "—") !== "—");
    assert.match(await page.locator("#figSettled").innerText(), new RegExp(`^\\d+ of ${RUNNING_DOCUMENTS}$`));
    assert.ok((await page.locator("#chart polyline").count()) === 1, "the chart is drawn");
    await page.screenshot({ path: path.join(OUTPUT, "dashboard-running-1280.png"), fullPage: true });

    // The phone width: same page, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok(await noHorizontalScroll(), "the batch page fits 390 px");
    await page.screenshot({ path: path.join(OUTPUT, "dashboard-batch-390.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    await held.someWaiting();
    await page.click("#cancelBatch");
    await page.locator("#confirm").waitFor();
    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === "POST" && response.url().endsWith(`/${ids.running}/cancel`)),
      page.click("#confirmYes"),
    ]);
    assert.ok(answer.ok(), `cancel answered ${answer.status()}`);
    held.releaseAll();
    await page.locator("#batchState.canceled").waitFor({ timeout: 120_000 });
    const stats = Object.fromEntries(
      (await page.locator("#stats .stat").evaluateAll((nodes) => nodes.map((node) => [node.querySelector("span")!.textContent, Number(node.querySelector("b")!.textContent)]))) as [string, number][],
    );
    assert.equal(stats.Items, RUNNING_DOCUMENTS);
    assert.equal(stats.Succeeded + stats.Failed + stats.Skipped + stats.Canceled, RUNNING_DOCUMENTS, JSON.stringify(stats));
    assert.ok(stats.Canceled > 0, "documents not started are shown as canceled, not failed");
    assert.equal(stats.Failed, 0);
    assert.equal(await page.locator("#cancelBatch").isVisible(), false);

    await page.goto(`${docbatch.host.url}/dashboard#/`);
    await page.locator(`tr.batch[data-id="${ids.running}"][data-state=canceled]`).waitFor();
  });

  test("the list filters by front door and state, fits 1280 px and a phone", async () => {
    await page.selectOption("#kindFilter", "openaiBatch");
    await page.waitForFunction(() => [...document.querySelectorAll("tr.batch")].every((tr) => tr.getAttribute("data-kind") === "openaiBatch"));
    assert.equal(await row(ids.refused).count(), 1);
    await page.selectOption("#kindFilter", "");
    await page.selectOption("#stateFilter", "canceled");
    await page.waitForFunction(() => document.querySelectorAll("tr.batch").length > 0 && [...document.querySelectorAll("tr.batch")].every((tr) => tr.getAttribute("data-state") === "canceled"));
    assert.equal(await row(ids.running).count(), 1);
    await page.selectOption("#stateFilter", "");
    await row(ids.refused).waitFor();
    assert.ok(await noHorizontalScroll());
    await page.screenshot({ path: path.join(OUTPUT, "dashboard-list-1280.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok(await noHorizontalScroll(), "the list fits 390 px");
    await page.screenshot({ path: path.join(OUTPUT, "dashboard-list-390.png"), fullPage: true });
  });
});
