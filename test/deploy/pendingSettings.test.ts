// A first start whose Key Vault references the platform could not resolve yet (the identity's
// Key Vault role still propagating): the app answers 503 meanwhile, never takes the reference
// text for an API key, and reads the secrets itself with its managed identity once it may. The
// identity endpoint (App Service's IDENTITY_ENDPOINT protocol) and Key Vault are fakes speaking
// their wire protocols; the app runs in the local host, unchanged.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { generateSecretBoxKey } from "../../src/storage/secretBox.js";

const API_KEY = "key-from-key-vault";
const IDENTITY_HEADER = "identity-header-secret";

async function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("Key Vault references unresolved at the first start", () => {
  let identity: Awaited<ReturnType<typeof serve>>;
  let vault: Awaited<ReturnType<typeof serve>>;
  let docbatch: Docbatch;
  let refusalsLeft = 2;
  const vaultCalls: { secret: string; authorization?: string }[] = [];
  const secrets: Record<string, string> = { "docbatch-api-keys": API_KEY, "docbatch-encryption-key": generateSecretBoxKey() };
  let reference = "";

  before(async () => {
    identity = await serve((req, res) => {
      const url = new URL(req.url ?? "/", "http://identity");
      if (req.headers["x-identity-header"] !== IDENTITY_HEADER) return void res.writeHead(401).end();
      const expiresOn = Math.floor(Date.now() / 1000) + 3600;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ access_token: `token-for-${url.searchParams.get("resource")}`, expires_on: String(expiresOn), resource: url.searchParams.get("resource"), token_type: "Bearer" }));
    });
    vault = await serve((req, res) => {
      const secret = new URL(req.url ?? "/", "http://vault").pathname.replace("/secrets/", "");
      vaultCalls.push({ secret, authorization: req.headers.authorization });
      res.setHeader("content-type", "application/json");
      if (refusalsLeft > 0 && secret === "docbatch-api-keys") {
        refusalsLeft--;
        return void res.writeHead(403).end(JSON.stringify({ error: { code: "Forbidden", message: "Caller is not authorized to perform action on resource." } }));
      }
      if (!secrets[secret]) return void res.writeHead(404).end(JSON.stringify({ error: { code: "SecretNotFound", message: secret } }));
      res.end(JSON.stringify({ value: secrets[secret] }));
    });
    reference = `@Microsoft.KeyVault(SecretUri=${vault.url}/secrets/docbatch-api-keys)`;
    docbatch = await startDocbatch({
      env: {
        DOCBATCH_API_KEYS: reference,
        DOCBATCH_ENCRYPTION_KEY: `@Microsoft.KeyVault(SecretUri=${vault.url}/secrets/docbatch-encryption-key)`,
        IDENTITY_ENDPOINT: `${identity.url}/msi/token`,
        IDENTITY_HEADER,
      },
    });
  });
  after(async () => {
    await docbatch?.close();
    await vault?.close();
    await identity?.close();
  });

  const listModels = (key: string) =>
    fetch(`${docbatch.host.url}/documentintelligence/documentModels?api-version=2024-11-30`, { headers: { "ocp-apim-subscription-key": key } });

  it("answers 503 while resolving, never accepts the reference text, then serves with the secret", async () => {
    const first = await listModels(reference);
    assert.equal(first.status, 503);
    assert.ok(Number(first.headers.get("retry-after")) > 0);
    assert.match(JSON.stringify(await first.json()), /Key Vault .*role assignments take up to ten minutes/);

    // Bounded wait: fails only if the app never resolves the secret.
    let answer = await listModels(API_KEY);
    for (let tries = 0; answer.status === 503 && tries < 120; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      answer = await listModels(API_KEY);
    }
    assert.equal(answer.status, 200, await answer.text());
    assert.equal((await listModels(reference)).status, 401, "the reference text is no key");
    assert.ok(vaultCalls.filter((c) => c.secret === "docbatch-api-keys").length >= 3, "403s were retried");
    for (const call of vaultCalls) assert.equal(call.authorization, "Bearer token-for-https://vault.azure.net");
  });
});
