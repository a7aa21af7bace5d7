import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** A deployment with a broken setting answers in the API's error format and says where to look. */
describe("a misconfigured deployment", () => {
  let docbatch: Docbatch;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true, env: { DOCBATCH_ENCRYPTION_KEY: "not-a-32-byte-key" } });
  });
  after(async () => docbatch?.close());

  test("requests get 500 InternalServerError with the DI error body, and the app keeps serving", async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(`${docbatch.host.url}/documentintelligence/documentModels?api-version=2024-11-30`, {
        headers: { "api-key": docbatch.apiKey },
      });
      assert.equal(response.status, 500);
      const body = await response.json();
      assert.equal(body.error.code, "InternalServerError");
      assert.match(body.error.message, /logs/);
    }
    const health = await fetch(`${docbatch.host.url}/health`);
    assert.equal(health.status, 200);
  });
});
