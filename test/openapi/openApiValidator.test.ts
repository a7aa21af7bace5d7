import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openApiDocument } from "../../src/api/openapi/document.js";
import { openApiValidator } from "../support/openApiCheck.js";

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const job = { guid: "fe5dc26a-49f8-804e-8c4e-7895aa7bd66f", status: "COMPLETED", isBatch: true, totalDocs: 1, completedDocs: 1, failedDocs: 0, inProgressDocs: 0, maxConcurrency: 3, error: null, tokenCount: 5, createdAt: "2026-12-03T20:00:00.000Z", updatedAt: "2026-12-03T20:00:01.000Z" };

/** The checker the e2e tests run every answer through must itself catch what drifts. */
describe("the /openapi.json answer check", () => {
  const validate = openApiValidator(openApiDocument());
  const exchange = { method: "GET", path: `/job/status/${job.guid}`, status: 200, contentType: "application/json", body: json(job) };

  test("an answer as described passes", () => {
    assert.deepEqual(validate(exchange), []);
    assert.deepEqual(validate({ method: "GET", path: "/v1/files?limit=2", status: 200, contentType: "application/json", body: json({ object: "list", data: [], first_id: null, last_id: null, has_more: false }) }), []);
  });

  test("a body that breaks its schema, a status not described, a wrong media type fail", () => {
    assert.match(validate({ ...exchange, body: json({ ...job, status: "DONE" }) }).join(), /breaks \/openapi\.json/);
    assert.match(validate({ ...exchange, status: 418 }).join(), /does not describe status 418/);
    assert.match(validate({ ...exchange, contentType: "text/plain" }).join(), /content-type 'text\/plain'/);
    assert.match(validate({ ...exchange, body: Buffer.from("not json") }).join(), /not JSON/);
  });

  test("a method not described must be a 405 naming the described ones", () => {
    const put = { method: "PUT", path: `/job/status/${job.guid}`, status: 405, contentType: "application/json" };
    assert.deepEqual(validate({ ...put, allow: "GET" }), []);
    assert.match(validate({ ...put, allow: "GET, POST, DELETE" }).join(), /Allow is/);
    assert.match(validate({ ...put, status: 404 }).join(), /must answer 405/);
    assert.deepEqual(validate({ ...put, status: 401 }), [], "a secured path may refuse a keyless request before its method");
    assert.match(validate({ method: "POST", path: "/health", status: 401 }).join(), /must answer 405/, "/health needs no key");
  });

  test("a path outside the description may only be refused; a parameter pattern keeps ':analyzebatch' out of {modelId}", () => {
    assert.deepEqual(validate({ method: "GET", path: "/nowhere", status: 404 }), []);
    assert.match(validate({ method: "GET", path: "/nowhere", status: 200 }).join(), /not in \/openapi\.json/);
    assert.deepEqual(validate({ method: "POST", path: "/documentintelligence/documentModels/prebuilt-read:analyzebatch?api-version=2024-11-30", status: 404 }), []);
  });
});
