import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AnalyzerError } from "../../src/analyzers/analyzer.js";
import { createDocumentIntelligenceAnalyzer } from "../../src/analyzers/documentIntelligence/documentIntelligenceAnalyzer.js";
import { RateLimiter } from "../../src/analyzers/documentIntelligence/rateLimiter.js";
import { createAnalyzerRegistry } from "../../src/analyzers/registry.js";
import { readSettings } from "../../src/config/settings.js";
import { makePlainText } from "../support/documents.js";
import { FakeServiceError, startFakeDocumentIntelligence, type FakeDocumentIntelligence } from "../support/fakeDocumentIntelligence.js";
import { options } from "./helpers.js";
import { VirtualClock } from "./virtualClock.js";

const fast = { pollIntervalMs: 10, minRetryDelayMs: 10 };
let fake: FakeDocumentIntelligence;
before(async () => {
  fake = await startFakeDocumentIntelligence({
    models: ["custom-contracts.v2"],
    pollsBeforeSuccess: 2,
    analyze: ({ modelId, bytes, query }) => {
      if (Buffer.from(bytes).toString() === "corrupt") throw new FakeServiceError("InvalidRequest", "Invalid request.", { code: "InvalidContent", message: "The file is corrupted or format is unsupported." });
      return { apiVersion: "2024-11-30", modelId, stringIndexType: query.stringIndexType, content: "from the cloud", pages: [], documents: [{ docType: modelId }], query };
    },
  });
});
after(() => fake.close());

const settingsFor = (extra: Record<string, string> = {}) =>
  readSettings({ DOCUMENT_INTELLIGENCE_ENDPOINT: fake.endpoint, DOCUMENT_INTELLIGENCE_KEY: fake.key, DOCBATCH_OCR_WORKERS: "1", ...extra });

describe("Document Intelligence passthrough", () => {
  it("sends the bytes and options, polls Operation-Location and returns analyzeResult as given", async () => {
    const analyzer = createDocumentIntelligenceAnalyzer({ endpoint: fake.endpoint, key: fake.key, requestsPerSecond: 100, ...fast });
    const from = fake.requests.length;
    const bytes = makePlainText();
    const result = await analyzer.analyze({
      modelId: "prebuilt-invoice",
      bytes,
      name: "a.txt",
      options: options({ pages: "1-2", locale: "en-US", stringIndexType: "utf16CodeUnit", features: ["keyValuePairs", "languages"], queryFields: ["PO"], outputContentFormat: "markdown" }),
    });
    assert.equal(result.content, "from the cloud");
    assert.deepEqual(result.query, {
      "api-version": "2024-11-30",
      pages: "1-2",
      locale: "en-US",
      stringIndexType: "utf16CodeUnit",
      features: "keyValuePairs,languages",
      queryFields: "PO",
      outputContentFormat: "markdown",
    });
    const requests = fake.requests.slice(from);
    assert.deepEqual(requests.map((r) => [r.method, r.status]), [["POST", 202], ["GET", 200], ["GET", 200], ["GET", 200]]);
    assert.equal(requests[0].path, "/documentintelligence/documentModels/prebuilt-invoice:analyze");
    assert.equal(requests[0].headers["content-type"], "application/octet-stream");
    assert.equal(requests[0].bodyBytes, bytes.length);
  });

  it("maps the service's errors: failed operation, unknown model, bad key", async () => {
    const analyzer = createDocumentIntelligenceAnalyzer({ endpoint: fake.endpoint, key: fake.key, requestsPerSecond: 100, ...fast });
    await assert.rejects(
      analyzer.analyze({ modelId: "prebuilt-read", bytes: new TextEncoder().encode("corrupt"), name: "x", options: options() }),
      (error: unknown) => error instanceof AnalyzerError && error.code === "InvalidContent" && error.options.serviceError?.innererror?.code === "InvalidContent" && !error.transient,
    );
    await assert.rejects(
      analyzer.analyze({ modelId: "custom-unknown", bytes: makePlainText(), name: "x", options: options() }),
      (error: unknown) => error instanceof AnalyzerError && error.code === "ModelNotFound",
    );
    const wrongKey = createDocumentIntelligenceAnalyzer({ endpoint: fake.endpoint, key: "wrong", requestsPerSecond: 100, ...fast });
    await assert.rejects(
      wrongKey.analyze({ modelId: "prebuilt-read", bytes: makePlainText(), name: "x", options: options() }),
      (error: unknown) => error instanceof AnalyzerError && error.options.serviceError?.code === "401" && !error.transient,
    );
  });

  it("waits Retry-After on 429 and then succeeds", async () => {
    const clock = new VirtualClock({ advances: true });
    const analyzer = createDocumentIntelligenceAnalyzer({ endpoint: fake.endpoint, key: fake.key, requestsPerSecond: 100, ...fast, clock });
    const from = fake.requests.length;
    fake.setThrottle(2, 2);
    const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: makePlainText(), name: "a.txt", options: options() });
    assert.equal(result.content, "from the cloud");
    const requests = fake.requests.slice(from);
    assert.deepEqual(requests.map((r) => r.status), [429, 429, 202, 200, 200, 200]);
    // Retry-After: 2 was honoured by waiting 2000 ms before each retry; then only the polls wait.
    assert.deepEqual(clock.sleeps, [2000, 2000, fast.pollIntervalMs, fast.pollIntervalMs, fast.pollIntervalMs]);
  });

  it("gives up with a transient Throttled error when throttling lasts", async () => {
    const analyzer = createDocumentIntelligenceAnalyzer({ endpoint: fake.endpoint, key: fake.key, requestsPerSecond: 100, ...fast, retries: 1 });
    fake.setThrottle(5, 0);
    try {
      await assert.rejects(
        analyzer.analyze({ modelId: "prebuilt-read", bytes: makePlainText(), name: "a.txt", options: options() }),
        (error: unknown) => error instanceof AnalyzerError && error.code === "Throttled" && error.transient,
      );
    } finally {
      fake.setThrottle(0);
    }
  });

  it("keeps one request rate for all documents together", async () => {
    const rate = 10;
    // Time stands still: every wait is counted from the same instant, so the limiter's waits are
    // the schedule it gave the requests.
    const clock = new VirtualClock({ advances: false });
    const analyzer = createDocumentIntelligenceAnalyzer({ endpoint: fake.endpoint, key: fake.key, requestsPerSecond: rate, ...fast, clock });
    const from = fake.requests.length;
    await Promise.all(Array.from({ length: 4 }, () => analyzer.analyze({ modelId: "prebuilt-read", bytes: makePlainText(), name: "a.txt", options: options() })));
    assert.equal(fake.requests.length - from, 4 * 4);
    // However the documents interleave: 12 poll waits, and the 16 requests one every 1/rate
    // (the first at once, the others 100, 200, ..., 1500 ms later).
    const polls = Array.from({ length: 4 * 3 }, () => fast.pollIntervalMs);
    const spacing = Array.from({ length: 4 * 4 - 1 }, (_, i) => ((i + 1) * 1000) / rate);
    assert.deepEqual([...clock.sleeps].sort((a, b) => a - b), [...polls, ...spacing]);
  });

  it("a 429's pause holds back every caller, and spacing resumes after it", async () => {
    const clock = new VirtualClock({ advances: false });
    const limiter = new RateLimiter(10, clock);
    assert.equal(await limiter.take(), 0);
    limiter.pause(2000);
    assert.deepEqual(await Promise.all([limiter.take(), limiter.take()]), [2000, 2100]);
    assert.deepEqual(clock.sleeps, [2000, 2100]);
  });
});

describe("analyzer registry", () => {
  it("without Document Intelligence: offline read/layout, unknown models are undefined", async () => {
    const registry = createAnalyzerRegistry(readSettings({ DOCBATCH_OCR_WORKERS: "1" }));
    try {
      const read = await registry.resolve("prebuilt-read");
      assert.ok(read?.models.some((m) => m.modelId === "prebuilt-read" && m.runsOn === "offline"));
      assert.equal(await registry.resolve("prebuilt-layout"), read, "one offline analyzer (one OCR pool) for both models");
      assert.equal(await registry.resolve("prebuilt-invoice"), undefined);
      assert.equal(await registry.resolve("bad id with spaces"), undefined);
      assert.deepEqual(registry.list().map((m) => m.modelId), ["prebuilt-read", "prebuilt-layout"]);
      const result = await read!.analyze({ modelId: "prebuilt-read", bytes: makePlainText(), name: "a.txt", options: options() });
      assert.equal(result.modelId, "prebuilt-read");
    } finally {
      await registry.close();
    }
  });

  it("with Document Intelligence: other models go to the service, checked once and cached", async () => {
    const registry = createAnalyzerRegistry(settingsFor(), { documentIntelligence: fast });
    try {
      assert.equal((await registry.resolve("prebuilt-read"))?.models[0].runsOn, "offline");
      const from = fake.requests.length;
      const custom = await registry.resolve("custom-contracts.v2");
      assert.ok(custom);
      assert.equal(await registry.resolve("custom-contracts.v2"), custom);
      assert.equal(await registry.resolve("custom-missing"), undefined);
      assert.equal(await registry.resolve("custom-missing"), undefined);
      const checks = fake.requests.slice(from).filter((r) => r.method === "GET");
      assert.deepEqual(checks.map((r) => [r.path, r.status]), [
        ["/documentintelligence/documentModels/custom-contracts.v2", 200],
        ["/documentintelligence/documentModels/custom-missing", 404],
      ]);
      const result = await custom.analyze({ modelId: "custom-contracts.v2", bytes: makePlainText(), name: "a.txt", options: options() });
      assert.deepEqual(result.documents, [{ docType: "custom-contracts.v2" }]);
      assert.ok(registry.list().some((m) => m.modelId === "prebuilt-invoice" && m.runsOn === "documentIntelligence"));
    } finally {
      await registry.close();
    }
  });

  it("preferCloudRead sends prebuilt-read to the service", async () => {
    const registry = createAnalyzerRegistry(settingsFor({ DOCUMENT_INTELLIGENCE_PREFER_CLOUD_READ: "true" }), { documentIntelligence: fast });
    try {
      const read = await registry.resolve("prebuilt-read");
      const result = await read!.analyze({ modelId: "prebuilt-read", bytes: makePlainText(), name: "a.txt", options: options() });
      assert.equal(result.content, "from the cloud");
    } finally {
      await registry.close();
    }
  });
});
