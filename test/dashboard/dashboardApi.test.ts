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

  test("a batch's items filter by status and search by name, download as CSV; its request has no secrets; a finished batch deletes", async () => {
    const source = await createContainer(docbatch.blobService, {
      "docs/alpha.txt": "alpha",
      "docs/beta.txt": "beta",
      "lists/files.jsonl": '{"file":"docs/alpha.txt"}\n{"file":"docs/beta.txt"}\n{"file":"docs/gone, \\"quoted\\".txt"}\n',
    });
    const results = await createContainer(docbatch.blobService);
    const sourceUrl = await sasUrlFor(source, docbatch.azurite, "rl");
    const { operationLocation } = await runBatch(docbatch, "prebuilt-read", {
      azureBlobFileListSource: { containerUrl: sourceUrl, fileList: "lists/files.jsonl" },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    });
    const batchId = new URL(operationLocation).pathname.split("/").pop()!;
    const path = `/dashboard/api/batches/documentIntelligence/${batchId}`;

    const detail = await (await get(path, docbatch.apiKey)).json();
    assert.equal(detail.state, "partial", "succeeded with a failed document is not shown as a clean success");
    const requestText = JSON.stringify(detail.request);
    assert.match(requestText, /prebuilt-read/);
    assert.doesNotMatch(requestText, /sig=|sealed/i, requestText);
    assert.ok(!requestText.includes(new URL(sourceUrl).search.slice(1)), "no SAS in the request shown");

    const all = await (await get(`${path}/items`, docbatch.apiKey)).json();
    assert.deepEqual(all.items.map((item: any) => item.status), ["succeeded", "succeeded", "failed"]);
    const failed = await (await get(`${path}/items?status=failed`, docbatch.apiKey)).json();
    assert.equal(failed.items.length, 1);
    assert.equal(failed.items[0].index, 2);
    assert.ok(failed.items[0].error.reason.code && failed.items[0].error.reason.message, JSON.stringify(failed.items[0]));
    const searched = await (await get(`${path}/items?search=BETA`, docbatch.apiKey)).json();
    assert.deepEqual(searched.items.map((item: any) => item.name), ["docs/beta.txt"]);
    const paged = await (await get(`${path}/items?limit=2`, docbatch.apiKey)).json();
    assert.equal(paged.items.length, 2);
    assert.equal(paged.next, 2);
    const rest = await (await get(`${path}/items?limit=2&from=${paged.next}`, docbatch.apiKey)).json();
    assert.deepEqual(rest.items.map((item: any) => item.index), [2]);
    assert.equal(rest.next, undefined);

    const csv = await get(`${path}/items.csv`, docbatch.apiKey);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type") ?? "", /text\/csv/);
    const lines = (await csv.text()).trimEnd().split("\r\n");
    assert.equal(lines[0], "index,name,status,code,message,reason_code,reason_message,updated_at");
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.ok(lines[1].startsWith('2,"docs/gone, ""quoted"".txt",failed,'), lines[1]);
    assert.equal(failed.items[0].name, 'docs/gone, "quoted".txt');

    const result = await (await get(`${path}/items/1/result`, docbatch.apiKey)).json();
    assert.equal(result.name, "docs/beta.txt");
    assert.match(result.result.analyzeResult.content, /beta/, "the document's own .ocr.json");
    const noResult = await (await get(`${path}/items/2/result`, docbatch.apiKey)).json();
    assert.equal(noResult.status, "failed");
    assert.equal(noResult.result, undefined);
    assert.match(noResult.unavailable, /only a succeeded/);
    for (const missing of ["items/3/result", "items/x/result", "items/1/other"]) assert.equal((await get(`${path}/${missing}`, docbatch.apiKey)).status, 404, missing);

    const timeline = await (await get(`${path}/timeline`, docbatch.apiKey)).json();
    assert.equal(timeline.complete, true);
    assert.equal(timeline.points.at(-1).settled, 3);

    // A batch with no failed items: the header alone (this once hung).
    const none = await get(`${path}/items.csv?status=skipped`, docbatch.apiKey);
    assert.equal(await none.text(), "index,name,status,code,message,reason_code,reason_message,updated_at\r\n");

    for (const bad of ["items?status=nope", "items?limit=0", "items?from=x"]) {
      const answer = await get(`${path}/${bad}`, docbatch.apiKey);
      assert.equal(answer.status, 400, bad);
      assert.equal((await answer.json()).error.code, "InvalidRequest");
    }
    assert.equal((await get("/dashboard/api/batches?state=green", docbatch.apiKey)).status, 400);
    const partial = await (await get("/dashboard/api/batches?kind=documentIntelligence&state=partial", docbatch.apiKey)).json();
    assert.ok(partial.batches.some((b: any) => b.batchId === batchId));
    assert.ok(partial.batches.every((b: any) => b.state === "partial" && b.kind === "documentIntelligence"));

    assert.equal((await get(path, docbatch.apiKey, { method: "DELETE" })).status, 204);
    assert.equal((await get(path, docbatch.apiKey)).status, 404);
    const listed = await (await get("/dashboard/api/batches", docbatch.apiKey)).json();
    assert.ok(!listed.batches.some((b: any) => b.batchId === batchId), "a deleted batch is not listed");
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
