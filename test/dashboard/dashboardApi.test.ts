import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openApiChecker } from "../support/openApiCheck.js";
import { createContainer, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

describe("dashboard page and API", () => {
  let docbatch: Docbatch;
  let check: Awaited<ReturnType<typeof openApiChecker>>;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
    check = await openApiChecker(docbatch.host.url);
  });
  after(async () => docbatch?.close());

  /** Every response is checked against /openapi.json before the test reads it. */
  const get = async (path: string, key?: string, init: RequestInit = {}) => {
    const response = await fetch(`${docbatch.host.url}${path}`, { ...init, headers: key ? { "api-key": key } : {} });
    if (path !== "/dashboard") {
      const body = await check(init.method ?? "GET", response.clone());
      return Object.assign(response, { json: async () => body });
    }
    return response;
  };

  test("the page is served and carries no data; the API answers 401 without a key", async () => {
    const page = await get("/dashboard");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const html = await page.text();
    assert.match(html, /sessionStorage/);
    const anonymous = await get("/dashboard/api/batches");
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).error.code, "Unauthorized");
    const wrong = await get("/dashboard/api/batches", "not-the-key");
    assert.equal(wrong.status, 401);
  });

  test("lists a finished DI batch with its counts and shows its failed document's error; cancel of a finished batch changes nothing", async () => {
    const source = await createContainer(docbatch.blobService, {
      "docs/one.txt": "first listed document",
      "lists/files.jsonl": '{"file":"docs/one.txt"}\n{"file":"docs/missing.txt"}\n',
    });
    const results = await createContainer(docbatch.blobService);
    const { operationLocation } = await runBatch(docbatch, "prebuilt-read", {
      azureBlobFileListSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl"), fileList: "lists/files.jsonl" },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    });
    const batchId = new URL(operationLocation).pathname.split("/").pop()!;

    const list = await (await get("/dashboard/api/batches", docbatch.apiKey)).json();
    assert.ok(list.kinds.includes("documentIntelligence"), JSON.stringify(list.kinds));
    const listed = list.batches.find((b: any) => b.batchId === batchId);
    assert.ok(listed, "the batch is listed");
    assert.equal(listed.status, "succeeded");
    assert.equal(listed.itemCount, 2);
    assert.deepEqual(listed.counts, { succeeded: 1, failed: 1, skipped: 0, canceled: 0 });
    assert.ok(Date.parse(listed.createdAt) && Date.parse(listed.updatedAt));

    const detail = await (await get(`/dashboard/api/batches/${listed.kind}/${batchId}`, docbatch.apiKey)).json();
    assert.equal(detail.failedItems.length, 1);
    assert.match(detail.failedItems[0].name, /missing\.txt/);
    assert.ok(detail.failedItems[0].error.code && detail.failedItems[0].error.message, JSON.stringify(detail.failedItems[0]));

    const modelPath = "/documentintelligence/documentModels/prebuilt-read";
    for (const diPath of ["/documentintelligence/documentModels", modelPath, `${modelPath}/analyzeBatchResults`, `${modelPath}/analyzeBatchResults/${batchId}`]) {
      assert.equal((await get(`${diPath}?api-version=2024-11-30`, docbatch.apiKey)).status, 200, diPath);
    }
    assert.equal((await get(`${modelPath}/analyzeBatchResults/${batchId}?api-version=2024-11-30`)).status, 401);
    assert.equal((await get(`/documentintelligence/documentModels/no-such-model?api-version=2024-11-30`, docbatch.apiKey)).status, 404);
    assert.equal((await get(`${modelPath}:analyzeBatch?api-version=2024-11-30`, docbatch.apiKey, { method: "POST" })).status, 400);

    const cancel = await get(`/dashboard/api/batches/${listed.kind}/${batchId}/cancel`, docbatch.apiKey, { method: "POST" });
    assert.equal(cancel.status, 200);
    assert.equal((await cancel.json()).status, "succeeded");
  });

  test("unknown kinds, batches and methods answer 4xx in the dashboard's error format", async () => {
    const kind = await get("/dashboard/api/batches/noSuchKind/x", docbatch.apiKey);
    assert.equal(kind.status, 404);
    assert.match((await kind.json()).error.message, /documentIntelligence/);
    const batch = await get("/dashboard/api/batches/documentIntelligence/00000000-0000-0000-0000-000000000000", docbatch.apiKey);
    assert.equal(batch.status, 404);
    const method = await get("/dashboard/api/batches", docbatch.apiKey, { method: "POST" });
    assert.equal(method.status, 405);
    assert.equal(method.headers.get("allow"), "GET");
  });
});
