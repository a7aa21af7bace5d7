import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { endpointsFor, freePort } from "../support/azurite.js";
import { createContainer, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

const API_VERSION = "api-version=2024-11-30";

/**
 * When docbatch's own storage is down, callers get a retryable answer in the API's error format
 * (503 with Retry-After), /health says so with 503, and no request waits on the SDKs' long retry
 * chains (issue 10 item 8).
 */
export type Outage = "refusing connections" | "accepting connections but never answering";

/** One local host per process: each outage runs from its own file (storageOutage / storageHang). */
export function describeOutage(outage: Outage): void {
  describe(`the app's storage ${outage}`, { timeout: 120_000 }, () => {
    let docbatch: Docbatch;
    let ownBlobEndpoint: string;
    let storage: { port: number; requests: number; close(): Promise<void> } | undefined;
    before(async () => {
      let endpoints;
      if (outage === "refusing connections") {
        endpoints = endpointsFor("127.0.0.1", { blob: await freePort(), queue: await freePort(), table: await freePort() });
      } else {
        storage = await startSilentServer();
        const port = storage.port;
        endpoints = endpointsFor("127.0.0.1", { blob: port, queue: port, table: port });
      }
      ownBlobEndpoint = endpoints.blobEndpoint;
      docbatch = await startDocbatch({ env: { AzureWebJobsStorage: endpoints.connectionString } });
    });
    after(async () => {
      await docbatch?.close();
      await storage?.close();
    });

    async function call(path: string, init: RequestInit = {}) {
      const response = await fetch(`${docbatch.host.url}${path}`, {
        ...init,
        headers: { "content-type": "application/json", "ocp-apim-subscription-key": docbatch.apiKey },
      });
      return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.json() };
    }

    test("/health answers 503 with Retry-After", async () => {
      const health = await call("/health");
      assert.equal(health.status, 503);
      assert.equal(health.retryAfter, "5");
      assert.equal(health.body.storage.reachable, false);
    });

    test("analyzeBatch, list and get answer 503 ServiceUnavailable with Retry-After", async () => {
      const source = await createContainer(docbatch.blobService, { "a.txt": "a" });
      const results = await createContainer(docbatch.blobService);
      const requestsBefore = storage?.requests ?? 0;
      const calls = [
        call(`/documentintelligence/documentModels/prebuilt-read:analyzeBatch?${API_VERSION}`, {
          method: "POST",
          body: JSON.stringify({
            azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
            resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
          }),
        }),
        // Without SAS, on the app's own (unreachable) account.
        call(`/documentintelligence/documentModels/prebuilt-read:analyzeBatch?${API_VERSION}`, {
          method: "POST",
          body: JSON.stringify({ azureBlobSource: { containerUrl: `${ownBlobEndpoint}/docs` }, resultContainerUrl: `${ownBlobEndpoint}/results` }),
        }),
        call(`/documentintelligence/documentModels/prebuilt-read/analyzeBatchResults?${API_VERSION}`),
        call(`/documentintelligence/documentModels/prebuilt-read/analyzeBatchResults/6f1c1a3e-0000-4000-8000-000000000000?${API_VERSION}`),
      ];
      for (const response of await Promise.all(calls)) {
        assert.equal(response.status, 503);
        assert.equal(response.retryAfter, "5");
        assert.equal(response.body.error.code, "ServiceUnavailable");
        assert.match(response.body.error.message, /Retry/);
        assert.doesNotMatch(JSON.stringify(response.body), /sig=/);
      }
      if (storage) {
        // Each call gives up after a try and one retry of the tables' creation (two tables at
        // once): four requests, where the SDK's default chain (four tries each) would make eight, spaced over seconds.
        const made = storage.requests - requestsBefore;
        assert.ok(made <= calls.length * 6, `${made} storage requests for ${calls.length} calls`);
      }
    });
  });
}

/** A server that takes every request and never answers: storage that hangs. */
async function startSilentServer(): Promise<{ port: number; requests: number; close(): Promise<void> }> {
  const held = new Set<http.ServerResponse>();
  const state = { port: 0, requests: 0, close: async () => {} };
  const server = http.createServer((request, response) => {
    state.requests++;
    request.resume();
    held.add(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
