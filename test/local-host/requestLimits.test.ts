import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** Each front door's routes with an id in the path, and how its own error format is recognised. */
function doors(key: string) {
  const di = { "ocp-apim-subscription-key": key };
  const bearer = { authorization: `Bearer ${key}` };
  const diFormat = (body: any) => typeof body?.error?.code === "string" && typeof body.error.message === "string";
  const openAiFormat = (body: any) => body?.error?.type === "invalid_request_error" && typeof body.error.message === "string";
  const docuDevsFormat = (body: any) => typeof body?.message === "string";
  return (id: string) => [
    { path: `/documentintelligence/documentModels/prebuilt-read/analyzeBatchResults/${id}?api-version=2024-11-30`, headers: di, format: diFormat },
    { path: `/documentintelligence/documentModels/${id}?api-version=2024-11-30`, headers: di, format: diFormat },
    { path: `/v1/batches/${id}`, headers: bearer, format: openAiFormat },
    { path: `/v1/files/${id}/content`, headers: bearer, format: openAiFormat },
    { path: `/openai/batches/${id}?api-version=2024-10-21`, headers: { "api-key": key }, format: openAiFormat },
    { path: `/job/status/${id}`, headers: bearer, format: docuDevsFormat },
    { path: `/job/result/${id}/csv`, headers: bearer, format: docuDevsFormat },
  ];
}

describe("URL and header sizes: refused where the Functions host refuses them, otherwise the door answers", () => {
  let docbatch: Docbatch;
  let routes: ReturnType<typeof doors>;
  before(async () => {
    docbatch = await startDocbatch();
    routes = doors(docbatch.apiKey);
  });
  after(async () => docbatch?.close());

  async function healthy(): Promise<void> {
    const health = await fetch(`${docbatch.host.url}/health`, { signal: AbortSignal.timeout(20_000) });
    assert.equal(health.status, 200);
    await health.arrayBuffer();
  }

  test("an id the host lets through (request line under 8 KB) gets a 4xx in its door's own format", async () => {
    for (const length of [1_100, 7_500]) {
      for (const route of routes("a".repeat(length))) {
        const response = await fetch(`${docbatch.host.url}${route.path}`, { headers: route.headers });
        assert.ok(response.status >= 400 && response.status < 500, `${route.path.slice(0, 40)}: ${response.status}`);
        assert.ok(route.format(await response.json()), `${route.path.slice(0, 40)} answers in its door's format`);
      }
    }
  });

  test("a 20 KB id gets 414 as from the host's web server (request line over 8 KB), not Node's bare 431; the app goes on", async () => {
    for (const route of routes("a".repeat(20_000))) {
      const response = await fetch(`${docbatch.host.url}${route.path}`, { headers: route.headers });
      assert.equal(response.status, 414, route.path.slice(0, 40));
      await response.arrayBuffer();
    }
    await healthy();
  });

  test("headers: 20 KB (over Node's default, under the host's 32 KB) reach the app; over 32 KB get 431", async () => {
    const accepted = await fetch(`${docbatch.host.url}/v1/batches/batch_nope`, {
      headers: { authorization: `Bearer ${docbatch.apiKey}`, "x-padding": "p".repeat(20_000) },
    });
    assert.equal(accepted.status, 404);
    assert.equal((await accepted.json()).error.type, "invalid_request_error");
    const refused = await fetch(`${docbatch.host.url}/health`, { headers: { "x-padding": "p".repeat(33_000) } });
    assert.equal(refused.status, 431);
    await refused.arrayBuffer();
    await healthy();
  });
});
