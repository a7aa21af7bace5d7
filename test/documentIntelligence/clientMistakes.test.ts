import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { isUnexpected } from "@azure-rest/ai-document-intelligence";
import { createContainer, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const API_VERSION = "api-version=2024-11-30";

/**
 * Issue 10 items 7 and 9: mistakes a client can make in the path, the query, the method or the
 * body are answered with a 4xx in DI's error format saying what to fix (never a 500 or a hang),
 * and the links the app hands out never come from the request's Host header.
 */
describe("client mistakes get a 4xx in DI's error format", () => {
  let docbatch: Docbatch;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
  });
  after(async () => docbatch?.close());

  async function call(path: string, init: RequestInit = {}) {
    const response = await fetch(`${docbatch.host.url}/documentintelligence${path}`, {
      ...init,
      headers: { "ocp-apim-subscription-key": docbatch.apiKey, "content-type": "application/json", ...(init.headers as Record<string, string>) },
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  /** DI's format: `{ error: { code, message } }`, the message (or the inner one) saying what to do. */
  function assertDiError(body: any, pattern: RegExp) {
    assert.equal(typeof body?.error?.code, "string", JSON.stringify(body));
    assert.equal(typeof body.error.message, "string");
    assert.match(body.error.innererror?.message ?? body.error.message, pattern);
  }

  test("malformed percent-encoding in the path is 400, not 500", async () => {
    for (const path of ["/documentModels/prebuilt%E0%A4%A:analyzeBatch", "/documentModels/%ZZ", "/documentModels/prebuilt-read/analyzeBatchResults/%"]) {
      const response = await call(`${path}?${API_VERSION}`, { method: path.endsWith(":analyzeBatch") ? "POST" : "GET", body: path.endsWith(":analyzeBatch") ? "{}" : undefined });
      assert.equal(response.status, 400, path);
      assertDiError(response.body, /percent-encoding/);
    }
  });

  test("a continuationToken the service never handed out is 400 naming the parameter", async () => {
    const notJson = Buffer.from("{nope").toString("base64");
    const wrongShape = Buffer.from(JSON.stringify({ nextPartitionKey: 5 })).toString("base64");
    for (const token of ["junk", notJson, wrongShape, "%%%"]) {
      const response = await call(`/documentModels/prebuilt-read/analyzeBatchResults?${API_VERSION}&continuationToken=${encodeURIComponent(token)}`);
      assert.equal(response.status, 400, token);
      assert.equal(response.body.error.target, "continuationToken");
      assertDiError(response.body, /nextLink/);
    }
  });

  test("PUT, PATCH, OPTIONS and HEAD get 405 with Allow, in the error format", async () => {
    const analyze = `/documentModels/prebuilt-read:analyzeBatch?${API_VERSION}`;
    const result = `/documentModels/prebuilt-read/analyzeBatchResults/6f1c1a3e-0000-4000-8000-000000000000?${API_VERSION}`;
    for (const [path, allow] of [
      [analyze, "POST"],
      [result, "GET, DELETE"],
    ]) {
      for (const method of ["PUT", "PATCH", "OPTIONS"]) {
        const response = await call(path, { method });
        assert.equal(response.status, 405, `${method} ${path}`);
        assert.equal(response.headers.get("allow"), allow);
        assert.equal(response.body.error.code, "MethodNotAllowed");
        assert.match(response.body.error.message, new RegExp(`Use ${allow.replace(", ", " or ")}`));
      }
      const head = await call(path, { method: "HEAD" });
      assert.equal(head.status, 405);
      assert.equal(head.headers.get("allow"), allow);
    }
  });

  test("a lowercase :analyzebatch says operation names are case-sensitive", async () => {
    const response = await call(`/documentModels/prebuilt-read:analyzebatch?${API_VERSION}`, { method: "POST", body: "{}" });
    assert.equal(response.status, 404);
    assertDiError(response.body, /case-sensitive: use ':analyzeBatch'/);
    const results = await call(`/documentModels/prebuilt-read/analyzebatchresults?${API_VERSION}`);
    assert.equal(results.status, 404);
    assertDiError(results.body, /case-sensitive: use 'analyzeBatchResults'/);
    const other = await call(`/documentModels/prebuilt-read:analyze?${API_VERSION}`, { method: "POST", body: "{}" });
    assert.equal(other.status, 404);
    assertDiError(other.body, /:analyzeBatch/);
  });

  test("a streamed body is refused at the limit, without reading the rest", async () => {
    // Chunked, so no Content-Length warns the app: it must count. It would read all 64 MB
    // (far past the 1 MB limit) before answering if it read the body whole first.
    const cap = 64 * 1024 * 1024;
    const { status, body, sent } = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      const url = new URL(`${docbatch.host.url}/documentintelligence/documentModels/prebuilt-read:analyzeBatch?${API_VERSION}`);
      const request = http.request(url, { method: "POST", headers: { "ocp-apim-subscription-key": docbatch.apiKey, "content-type": "application/json" } });
      let sent = 0;
      let answered = false;
      request.on("response", (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString("utf8"), sent }));
        response.on("error", reject);
      });
      request.on("error", (error) => {
        if (!answered) reject(error);
      });
      const chunk = Buffer.alloc(64 * 1024, " ");
      request.write("{");
      const pump = () => {
        while (!answered && sent < cap) {
          sent += chunk.byteLength;
          if (!request.write(chunk)) return void request.once("drain", pump);
        }
        if (!answered) request.end("}");
      };
      pump();
    });
    assert.equal(status, 413);
    assert.equal(JSON.parse(body).error.innererror.code, "RequestTooLarge");
    assert.ok(sent < cap, `the app answered only after ${sent} bytes: it read the whole body`);
  });

  test("Operation-Location and nextLink come from the app's public URL, not the Host header", async () => {
    const source = await sasUrlFor(await createContainer(docbatch.blobService, { "a.txt": "a" }), docbatch.azurite, "rl");
    const results = await sasUrlFor(await createContainer(docbatch.blobService), docbatch.azurite);
    const forged = { host: "attacker.example", "x-forwarded-host": "attacker.example" };
    const started = await rawRequest("POST", `/documentintelligence/documentModels/prebuilt-read:analyzeBatch?${API_VERSION}`, forged, JSON.stringify({ azureBlobSource: { containerUrl: source }, resultContainerUrl: results }));
    assert.equal(started.status, 202, started.body);
    const location = new URL(String(started.headers["operation-location"]));
    assert.equal(location.origin, new URL(docbatch.host.url).origin);

    // A second batch, so a page of one has a next page.
    const second = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", "prebuilt-read").post({ contentType: "application/json", body: { azureBlobSource: { containerUrl: source }, resultContainerUrl: results, resultPrefix: "second/" } });
    if (isUnexpected(second)) throw new Error(`analyzeBatch answered ${second.status}`);
    const listed = await rawRequest("GET", `/documentintelligence/documentModels/prebuilt-read/analyzeBatchResults?${API_VERSION}&maxpagesize=1`, forged);
    assert.equal(listed.status, 200, listed.body);
    const nextLink = JSON.parse(listed.body).nextLink;
    assert.ok(nextLink, "two batches, pages of one: there is a next page");
    assert.equal(new URL(nextLink).origin, new URL(docbatch.host.url).origin);
    assert.doesNotMatch(listed.body + started.headers["operation-location"], /attacker/);
  });

  async function rawRequest(method: string, path: string, headers: Record<string, string>, body?: string) {
    const url = new URL(docbatch.host.url);
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const request = http.request(
        { host: url.hostname, port: url.port, method, path, headers: { "ocp-apim-subscription-key": docbatch.apiKey, "content-type": "application/json", ...headers } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk) => chunks.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  }
});
