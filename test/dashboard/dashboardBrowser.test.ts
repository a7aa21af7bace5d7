import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { createContainer, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const OUTPUT = path.resolve("test-output");

describe("dashboard in headless Chromium", () => {
  let docbatch: Docbatch;
  let browser: Browser;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true, maxConcurrentActivities: 1 });
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });
  after(async () => {
    await browser?.close();
    await docbatch?.close();
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
    for (let i = 0; i < 300; i++) many[`many/${String(i).padStart(3, "0")}.txt`] = `document number ${i}`;
    const big = await createContainer(docbatch.blobService, many);
    const bigResults = await createContainer(docbatch.blobService);
    const started = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", "prebuilt-read").post({
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
    const first = await progressOf();
    await page.waitForFunction(
      ([id, before]) => Number(document.querySelector(`tr.batch[data-id="${id}"] [role=progressbar]`)?.getAttribute("aria-valuenow")) > Number(before),
      [runningId, String(first)] as const,
    );

    await page.locator("tr.batch[data-status=succeeded]").first().click();
    await page.locator("#failed li").first().waitFor();
    assert.match(await page.locator("#failed").innerText(), /missing\.txt: \S+/);

    await running.locator("button.cancel").click();
    const canceledRow = page.locator(`tr.batch[data-id="${runningId}"][data-status=canceled]`);
    await canceledRow.waitFor({ timeout: 120_000 });
    // Columns: kind, batch, status, progress, succeeded, failed, skipped, canceled, total.
    const [succeeded, failed, skipped, canceled, total] = (await canceledRow.locator("td").allInnerTexts()).slice(4, 9).map(Number);
    assert.equal(total, 300);
    assert.equal(succeeded + failed + skipped + canceled, total, "a canceled batch shows every document settled");
    assert.ok(canceled > 0, "the documents not started are shown as canceled");
    assert.equal(await canceledRow.locator(".bar span.canceled").count(), 1);

    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "dashboard.png"), fullPage: true });
  });
});
