// The app's first start after a deployment survives role propagation: its storage account
// refusing the identity (403) and Key Vault references the platform could not resolve yet are
// waited out with backoff, then answered as 503, never a crash or the reference text used.
// Fakes speak the real wire protocols: a proxy in front of Azurite answering Azure Storage's 403,
// and a Key Vault answering its REST API.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { useAzurite, type RunningAzurite } from "../support/azurite.js";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { TableStatusStore } from "../../src/storage/tableStatusStore.js";
import { AccessPendingError } from "../../src/shared/accessPending.js";
import { keyVaultSecretReader, keyVaultSecretUri, resolveKeyVaultReferences, unresolvedKeyVaultReferences } from "../../src/config/keyVaultReferences.js";

const QUICK = { minDelayMs: 5, maxDelayMs: 20 };

/** Listens on loopback; returns its base URL and a closer. */
async function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("storage refusing the identity on a first start", () => {
  let azurite: RunningAzurite;
  let proxy: { url: string; close(): Promise<void> };
  let refusalsLeft = 0;
  let refused = 0;
  before(async () => {
    azurite = await useAzurite();
    const target = new URL(azurite.tableEndpoint);
    // Azure Storage's answer to an identity without a data role (its error XML and header).
    proxy = await serve((req, res) => {
      if (refusalsLeft > 0) {
        refusalsLeft--;
        refused++;
        req.resume();
        res.writeHead(403, { "content-type": "application/xml", "x-ms-error-code": "AuthorizationPermissionMismatch" });
        return void res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>`);
      }
      const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
  });
  after(async () => {
    await proxy?.close();
    await azurite?.stop();
  });

  const storeThroughProxy = (retries: number) => {
    const env = { AzureWebJobsStorage: azurite.connectionString.replace(/TableEndpoint=[^;]+/, `TableEndpoint=${proxy.url}/${azurite.accountName}`) };
    return new TableStatusStore(createAppStorage(env), { tablePrefix: `t${randomUUID().replace(/-/g, "").slice(0, 10)}`, accessWait: { retries, ...QUICK } });
  };

  it("a few 403s, then the role takes effect: the tables are created and the store works", async () => {
    refusalsLeft = 3;
    refused = 0;
    const store = storeThroughProxy(5);
    await store.ensureTables();
    assert.equal(refused, 3);
    assert.equal(await store.getBatch("kind", "absent"), undefined);
  });

  it("refused for longer than the wait: a 503 AccessPendingError saying what is happening", async () => {
    refusalsLeft = 10;
    const store = storeThroughProxy(1);
    await assert.rejects(store.ensureTables(), (error: unknown) => error instanceof AccessPendingError && error.statusCode === 503 && /role assignments take up to ten minutes/.test(error.message));
    refusalsLeft = 0;
    await store.ensureTables();
  });
});

describe("Key Vault references the platform left unresolved", () => {
  let vault: { url: string; close(): Promise<void> };
  let refusalsLeft = 0;
  const seen: { path: string; version: string | null; authorization?: string }[] = [];
  before(async () => {
    vault = await serve((req, res) => {
      const url = new URL(req.url ?? "/", "http://vault");
      seen.push({ path: url.pathname, version: url.searchParams.get("api-version"), authorization: req.headers.authorization });
      res.setHeader("content-type", "application/json");
      if (refusalsLeft > 0) {
        refusalsLeft--;
        res.writeHead(403);
        return void res.end(JSON.stringify({ error: { code: "Forbidden", message: "Caller is not authorized to perform action on resource.", innererror: { code: "ForbiddenByRbac" } } }));
      }
      if (url.pathname !== "/secrets/docbatch-api-keys") return void res.writeHead(404).end(JSON.stringify({ error: { code: "SecretNotFound", message: "not found" } }));
      res.end(JSON.stringify({ value: "key-one,key-two", id: `${vault.url}/secrets/docbatch-api-keys/abc`, attributes: { enabled: true } }));
    });
  });
  after(() => vault?.close());

  const credential = { getToken: async () => ({ token: "identity-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };

  it("finds references in both forms, and only references", () => {
    assert.equal(keyVaultSecretUri("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a)"), "https://kv.vault.azure.net/secrets/a");
    assert.equal(keyVaultSecretUri("@Microsoft.KeyVault(VaultName=kv;SecretName=a;SecretVersion=v1)"), "https://kv.vault.azure.net/secrets/a/v1");
    assert.equal(keyVaultSecretUri("plain-key"), undefined);
    assert.deepEqual(unresolvedKeyVaultReferences({ A: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a)", B: "b" }), ["A"]);
  });

  it("reads the secret with the identity, waiting out 403s while the role propagates", async () => {
    refusalsLeft = 2;
    seen.length = 0;
    const env = { DOCBATCH_API_KEYS: `@Microsoft.KeyVault(SecretUri=${vault.url}/secrets/docbatch-api-keys)`, OTHER: "kept" };
    const resolved = await resolveKeyVaultReferences(env, keyVaultSecretReader(credential), { retries: 5, ...QUICK });
    assert.deepEqual(resolved, { DOCBATCH_API_KEYS: "key-one,key-two", OTHER: "kept" });
    assert.equal(seen.length, 3);
    for (const request of seen) {
      assert.deepEqual(request, { path: "/secrets/docbatch-api-keys", version: "7.4", authorization: "Bearer identity-token" });
    }
  });

  it("still refused after the wait: a 503 AccessPendingError, never the reference text", async () => {
    refusalsLeft = 10;
    const env = { DOCBATCH_API_KEYS: `@Microsoft.KeyVault(SecretUri=${vault.url}/secrets/docbatch-api-keys)` };
    await assert.rejects(resolveKeyVaultReferences(env, keyVaultSecretReader(credential), { retries: 1, ...QUICK }), (error: unknown) => error instanceof AccessPendingError && error.statusCode === 503);
    refusalsLeft = 0;
  });

  it("a missing secret is no role problem: it fails at once, saying which", async () => {
    seen.length = 0;
    const env = { DOCBATCH_ENCRYPTION_KEY: `@Microsoft.KeyVault(SecretUri=${vault.url}/secrets/missing)` };
    await assert.rejects(resolveKeyVaultReferences(env, keyVaultSecretReader(credential), { retries: 5, ...QUICK }), /Key Vault answered 404/);
    assert.equal(seen.length, 1);
  });
});
