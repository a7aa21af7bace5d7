import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { createContainer, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { holdingAnalyze, startFakeDocumentIntelligence, type FakeDocumentIntelligence } from "../support/fakeDocumentIntelligence.js";

const OUTPUT = path.resolve("test-output");
const HELD_MODEL = "prebuilt-invoice";
// Few enough that one document moves the progress bar by a whole percent.
const DOCUMENTS = 40;

/**
 * The running batch uses a passthrough model whose documents wait at the (fake) Document
 * Intelligence until the test lets them go, so the progress moves when the test says and the
 * cancel surely finds documents not started.
 */
describe("dashboard in headless Chromium", () => {
  let docbatch: Docbatch;
  let browser: Browser;
  let fake: FakeDocumentIntelligence;
  const held = holdingAnalyze();
  before(async () => {
    fake = await startFakeDocumentIntelligence({ analyze: held.analyze });
    docbatch = await startDocbatch({
      checkOpenApi: true,
      maxConcurrentActivities: 1,
      env: { DOCUMENT_INTELLIGENCE_ENDPOINT: fake.endpoint, DOCUMENT_INTELLIGENCE_KEY: fake.key },
    });
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });
  after(async () => {
    held.releaseAll();
    await browser?.close();
    await docbatch?.close();
    await fake?.close();
  });

  test("lists a finished and a running batch, the progress moves, a failed document's error is shown, cancel works", async () => {
    const source = await createContainer(docbatch.blobService, {
      "docs/one.txt": "first listed document",
      "lists/files.jsonl": '{"file":"docs/one.txt"}\n{"file":"docs/missing.txt"}\n',
    });
    const results = await createContainer(docbatch.blobService);
    await runBatch(docbatch, "prebuilt-read", {
      azureBlobFileListSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl"), fileList: "lists/files.jsonl" },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    });
    const many: Record<string, string> = {};
    for (let i = 0; i < DOCUMENTS; i++) many[`many/${String(i).padStart(3, "0")}.txt`] = `document number ${i}`;
    const big = await createContainer(docbatch.blobService, many);
    const bigResults = await createContainer(docbatch.blobService);
    const started = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", HELD_MODEL).post({
      contentType: "application/json",
      body: { azureBlobSource: { containerUrl: await sasUrlFor(big, docbatch.azurite, "rl") }, resultContainerUrl: await sasUrlFor(bigResults, docbatch.azurite) },
    });
    assert.equal(started.status, "202");
    const runningId = new URL(started.headers["operation-location"]).pathname.split("/").pop()!;

    const page = await browser.newPage();
    await page.goto(`${docbatch.host.url}/dashboard`);
    assert.equal(await page.locator("tr.batch").count(), 0, "no data before a key is given");
    await page.fill("#key", docbatch.apiKey);
    await page.click("#login button");
    await page.locator("tr.batch[data-status=succeeded]").first().waitFor();
    const running = page.locator(`tr.batch[data-id="${runningId}"]`);
    await running.waitFor();

    const progressOf = async () => Number(await running.locator("[role=progressbar]").getAttribute("aria-valuenow"));
    await held.someWaiting();
    const first = await progressOf();
    held.letWaitingGo();
    await page.waitForFunction(
      ([id, before]) => Number(document.querySelector(`tr.batch[data-id="${id}"] [role=progressbar]`)?.getAttribute("aria-valuenow")) > Number(before),
      [runningId, String(first)] as const,
    );

    await page.locator("tr.batch[data-status=succeeded]").first().click();
    await page.locator("#failed li").first().waitFor();
    assert.match(await page.locator("#failed").innerText(), /missing\.txt: \S+/);

    // The next documents are at the service when the cancel is made; once it is accepted they
    // finish, and every document after them is canceled without being started.
    await held.someWaiting();
    const [cancelAnswer] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === "POST" && response.url().endsWith(`/${runningId}/cancel`)),
      running.locator("button.cancel").click(),
    ]);
    assert.ok(cancelAnswer.ok(), `cancel answered ${cancelAnswer.status()}`);
    held.releaseAll();
    const canceledRow = page.locator(`tr.batch[data-id="${runningId}"][data-status=canceled]`);
    await canceledRow.waitFor({ timeout: 120_000 });
    // Columns: kind, batch, status, progress, succeeded, failed, skipped, canceled, total.
    const [succeeded, failed, skipped, canceled, total] = (await canceledRow.locator("td").allInnerTexts()).slice(4, 9).map(Number);
    assert.equal(total, DOCUMENTS);
    assert.equal(succeeded + failed + skipped + canceled, total, "a canceled batch shows every document settled");
    assert.ok(canceled > 0, "the documents not started are shown as canceled");
    assert.equal(await canceledRow.locator(".bar span.canceled").count(), 1);

    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "dashboard.png"), fullPage: true });
  });
});
