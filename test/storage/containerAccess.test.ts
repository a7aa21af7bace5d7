import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { AnonymousCredential, ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/identity";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { openContainer } from "../../src/storage/containerAccess.js";
import { parseContainerUrl, StorageUrlError } from "../../src/storage/containerUrl.js";
import { listContainerDocuments, SourceError } from "../../src/storage/sourceListing.js";
import { freePort } from "../support/azurite.js";
import { collect, storageFixture, type StorageFixture } from "./storageFixture.js";

let fx: StorageFixture;
before(async () => {
  fx = await storageFixture();
});
after(async () => {
  await fx.azurite.stop();
});

const TARGET = "azureBlobSource.containerUrl";
// Few, quick tries so failure paths stay fast.
const quickRetry = { retry: { maxTries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 20 } };

async function listingError(containerUrl: string, policy = fx.policy): Promise<SourceError> {
  const container = openContainer(parseContainerUrl(containerUrl, policy, TARGET), fx.app, quickRetry);
  try {
    await collect(listContainerDocuments(container));
  } catch (error) {
    assert.ok(error instanceof SourceError, `expected a SourceError, got ${error}`);
    return error;
  }
  assert.fail("listing succeeded");
}

test("a SAS-less URL to the allow-listed app account is opened with the app's shared key", async () => {
  const seeded = await fx.newContainer("own");
  await seeded.getBlockBlobClient("a.pdf").upload("%PDF", 4);
  const location = parseContainerUrl(seeded.url, fx.policy, TARGET);
  assert.equal(location.sas, undefined);
  const container = openContainer(location, fx.app);
  assert.equal(container.url, location.url);
  const { items } = await collect(listContainerDocuments(container));
  assert.deepEqual(items.map((d) => d.name), ["a.pdf"]);
});

test("a read/list container SAS is used as given", async () => {
  const seeded = await fx.newContainer("sas");
  await seeded.getBlockBlobClient("doc one.pdf").upload("%PDF-1.7", 8, { blobHTTPHeaders: { blobContentType: "application/pdf" } });
  const location = parseContainerUrl(await fx.sasUrl(seeded, "rl"), fx.policy, TARGET);
  assert.ok(location.sas?.includes("sig="));
  assert.doesNotMatch(location.url, /\?/);
  const container = openContainer(location, fx.app);
  const { items } = await collect(listContainerDocuments(container));
  assert.deepEqual(items, [{ name: "doc one.pdf", size: 8, contentType: "application/pdf" }]);
  // The SAS works for reading a document too.
  const body = await container.getBlobClient("doc one.pdf").downloadToBuffer();
  assert.equal(body.toString(), "%PDF-1.7");
});

test("a SAS-less URL on a loopback account other than the app's is refused before any request", () => {
  const policy = { ...fx.policy, allowedAccounts: ["devstoreaccount1", "otheraccount"] };
  const location = parseContainerUrl(fx.azurite.blobEndpoint.replace("devstoreaccount1", "otheraccount") + "/docs", policy, TARGET);
  assert.throws(() => openContainer(location, fx.app, { target: TARGET }), (error: unknown) => {
    assert.ok(error instanceof StorageUrlError);
    assert.equal(error.code, "StorageAccountNotAllowed");
    assert.equal(error.target, TARGET);
    return true;
  });
});

test("an expired SAS fails listing with AuthorizationFailure and the message holds no signature", async () => {
  const seeded = await fx.newContainer("expired");
  const url = await fx.sasUrl(seeded, "rl", new Date(Date.now() - 60_000));
  const error = await listingError(url);
  assert.equal(error.code, "AuthorizationFailure");
  assert.equal(error.details.statusCode, 403);
  assert.match(error.message, /access denied \(403/);
  const signature = new URL(url).searchParams.get("sig")!;
  assert.ok(!error.message.includes(signature) && !error.message.includes(encodeURIComponent(signature)));
  assert.doesNotMatch(JSON.stringify(error), /sig=/);
});

test("a SAS signed with the wrong key fails with AuthorizationFailure", async () => {
  const seeded = await fx.newContainer("wrongkey");
  const wrongKey = new StorageSharedKeyCredential(fx.azurite.accountName, Buffer.alloc(64, 7).toString("base64"));
  const sas = generateBlobSASQueryParameters(
    { containerName: seeded.containerName, permissions: ContainerSASPermissions.parse("rl"), expiresOn: new Date(Date.now() + 3600_000) },
    wrongKey,
  ).toString();
  const error = await listingError(`${seeded.url}?${sas}`);
  assert.equal(error.code, "AuthorizationFailure");
});

test("a SAS without list permission fails with AuthorizationFailure", async () => {
  const seeded = await fx.newContainer("readonly");
  const error = await listingError(await fx.sasUrl(seeded, "r"));
  assert.equal(error.code, "AuthorizationFailure");
});

test("a missing container gives ContainerNotFound", async () => {
  const error = await listingError(`${fx.azurite.blobEndpoint}/no-such-container-here`);
  assert.equal(error.code, "ContainerNotFound");
  assert.match(error.message, /does not exist \(404 ContainerNotFound\)/);
});

test("an unreachable endpoint gives a transient SourceUnavailable after the SDK's retries", async () => {
  const port = await freePort();
  // The local emulator's endpoint with nothing listening there (Azurite down).
  const emulatorDown = { ...fx.policy, localBlobEndpoint: `http://127.0.0.1:${port}/devstoreaccount1` };
  const error = await listingError(`http://127.0.0.1:${port}/devstoreaccount1/docs?sv=2024-11-04&sr=c&sp=rl&sig=abc`, emulatorDown);
  assert.equal(error.code, "SourceUnavailable");
  assert.equal(error.transient, true);
  assert.doesNotMatch(error.message, /sig=abc/);
});

test("each location gets the right credential: SAS alone, the app's shared key, or the app's identity", () => {
  const key = Buffer.alloc(64, 1).toString("base64");
  const app = createAppStorage({ AzureWebJobsStorage: `DefaultEndpointsProtocol=https;AccountName=docbatchapp;AccountKey=${key};EndpointSuffix=core.windows.net` });
  const policy = { allowedAccounts: ["docbatchapp", "partner"], allowLoopbackHttp: false, appAccountName: "docbatchapp" };
  const open = (raw: string, storage = app) => openContainer(parseContainerUrl(raw, policy, TARGET), storage);

  const withSas = open("https://stranger.blob.core.windows.net/docs?sv=2024-11-04&sr=c&sp=rl&sig=abc");
  assert.ok(withSas.credential instanceof AnonymousCredential);
  assert.equal(withSas.url, "https://stranger.blob.core.windows.net/docs?sv=2024-11-04&sr=c&sp=rl&sig=abc");

  assert.ok(open("https://docbatchapp.blob.core.windows.net/docs").credential instanceof StorageSharedKeyCredential);

  // Another allow-listed account: never the app's key, always a token credential.
  const identity = open("https://partner.blob.core.windows.net/docs").credential as Partial<TokenCredential>;
  assert.ok(!(identity instanceof StorageSharedKeyCredential) && typeof identity.getToken === "function");
  // The same account name in another cloud is another account: no key either.
  assert.ok(!(open("https://docbatchapp.blob.core.chinacloudapi.cn/docs").credential instanceof StorageSharedKeyCredential));

  const managed: TokenCredential = { getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 60_000 }) };
  assert.equal(open("https://partner.blob.core.windows.net/docs", { ...app, sharedKey: undefined, credential: managed }).credential, managed);
});
