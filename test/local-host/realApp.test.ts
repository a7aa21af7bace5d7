import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { useAzurite, type RunningAzurite } from "../support/azurite.js";
import { startLocalHost, type LocalHost } from "../../local-host/index.js";

// dist/test/local-host -> dist/src/index.js
const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/index.js");
let azurite: RunningAzurite;
let host: LocalHost;

before(async () => {
  azurite = await useAzurite();
  host = await startLocalHost({ entry, env: { AzureWebJobsStorage: azurite.connectionString } });
});
after(async () => {
  await host?.close();
  await azurite?.stop();
});

test("the real app's /health answers through the local host with storage reachable", async () => {
  assert.ok(host.functions.some((f) => f.name === "health" && f.trigger === "httpTrigger" && f.route === "health"));
  const response = await fetch(`${host.url}/health`);
  assert.equal(response.status, 200);
  const body = (await response.json()) as { name: string; storage: { reachable: boolean } };
  assert.equal(body.name, "docbatch");
  assert.equal(body.storage.reachable, true);
});

test("the host answers 405 for a wrong method and 404 for no route", async () => {
  const wrong = await fetch(`${host.url}/health`, { method: "POST" });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "GET");
  assert.equal((await fetch(`${host.url}/api/health`)).status, 404);
});
