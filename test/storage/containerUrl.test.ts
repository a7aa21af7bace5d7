import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import { AnonymousCredential, ContainerClient } from "@azure/storage-blob";
import { blobUrl, parseContainerUrl, redactUrl, StorageUrlError, storageUrlPolicy, type StorageUrlPolicy } from "../../src/storage/containerUrl.js";

const production: StorageUrlPolicy = { allowedAccounts: ["docbatchapp"], allowLoopbackHttp: false, appAccountName: "docbatchapp" };
const development: StorageUrlPolicy = { allowedAccounts: ["devstoreaccount1"], allowLoopbackHttp: true, localBlobEndpoint: "http://127.0.0.1:10000/devstoreaccount1", appAccountName: "devstoreaccount1" };
const SECRET = "c2VjcmV0LXNpZ25hdHVyZQ%3D%3D";
const sas = (extra = "") => `sv=2024-11-04&sr=c&sp=rl&se=2030-01-01T00%3A00%3A00Z${extra}&sig=${SECRET}`;
const TARGET = "azureBlobSource.containerUrl";

function refusal(raw: string, policy: StorageUrlPolicy): StorageUrlError {
  try {
    parseContainerUrl(raw, policy, TARGET);
  } catch (error) {
    assert.ok(error instanceof StorageUrlError, `expected a StorageUrlError for ${raw}, got ${error}`);
    return error;
  }
  assert.fail(`${raw} was accepted`);
}

const refused: Array<[string, StorageUrlPolicy, string, RegExp?]> = [
  ["", production, "InvalidContainerUrl", /required/],
  ["not-a-url", production, "InvalidContainerUrl", /not an absolute URL/],
  [" https://docbatchapp.blob.core.windows.net/docs", production, "InvalidContainerUrl", /whitespace/],
  ["ftp://docbatchapp.blob.core.windows.net/docs", production, "InvalidContainerUrl", /https:\/\//],
  ["file:///etc/passwd", development, "InvalidContainerUrl"],
  ["http://docbatchapp.blob.core.windows.net/docs", production, "InsecureUrl", /use https:\/\/docbatchapp\.blob\.core\.windows\.net\/docs/],
  ["http://docbatchapp.blob.core.windows.net/docs", development, "InsecureUrl"],
  ["https://evil.example.com/docs", production, "ForbiddenHost", /not an Azure Blob Storage host/],
  ["https://docbatchapp.blob.core.windows.net.evil.example/docs", production, "ForbiddenHost"],
  ["https://docbatchapp.blob.core.windows.net./docs", production, "ForbiddenHost"],
  ["https://docbatchapp.dfs.core.windows.net/docs", production, "ForbiddenHost", /blob endpoint, https:\/\/docbatchapp\.blob\.core\.windows\.net/],
  ["https://docbatchapp.blob.core.windows.net:8443/docs", production, "ForbiddenHost", /port 8443/],
  ["http://169.254.169.254/metadata/instance", development, "ForbiddenHost", /metadata/],
  ["https://169.254.10.1/a/b", production, "ForbiddenHost", /link-local/],
  ["http://168.63.129.16/machine/docs", development, "ForbiddenHost", /metadata/],
  ["http://[fe80::1]/devstoreaccount1/docs", development, "ForbiddenHost", /link-local/],
  ["http://[fd00:ec2::254]/latest/docs", development, "ForbiddenHost", /metadata/],
  ["http://[::ffff:169.254.169.254]/latest/docs", development, "ForbiddenHost", /metadata/],
  ["http://2852039166/latest/docs", development, "ForbiddenHost", /metadata/], // 169.254.169.254 as one number
  ["https://20.60.1.2/docs", production, "ForbiddenHost", /IP address/],
  ["http://10.0.0.5:10000/devstoreaccount1/docs", development, "ForbiddenHost", /IP address/],
  ["http://127.0.0.1:10000/devstoreaccount1/docs", production, "ForbiddenHost", /DOCBATCH_ALLOW_LOOPBACK_HTTP/],
  ["http://localhost:10000/devstoreaccount1/docs", production, "ForbiddenHost"],
  ["http://[::1]:10000/devstoreaccount1/docs", production, "ForbiddenHost"],
  ["https://user:pa55word@docbatchapp.blob.core.windows.net/docs", production, "InvalidContainerUrl", /user name or password/],
  ["https://docbatchapp.blob.core.windows.net/docs/report.pdf", production, "InvalidContainerUrl", /names a blob or folder/],
  ["https://docbatchapp.blob.core.windows.net/docs/folder/", production, "InvalidContainerUrl", /prefix/],
  ["https://docbatchapp.blob.core.windows.net/", production, "InvalidContainerUrl", /names no container/],
  ["https://docbatchapp.blob.core.windows.net", production, "InvalidContainerUrl", /names no container/],
  ["https://docbatchapp.blob.core.windows.net//docs", production, "InvalidContainerUrl", /empty path segment/],
  ["https://docbatchapp.blob.core.windows.net/Docs", production, "InvalidContainerUrl", /not a valid container name/],
  ["https://docbatchapp.blob.core.windows.net/a--b", production, "InvalidContainerUrl", /not a valid container name/],
  ["https://docbatchapp.blob.core.windows.net/ab", production, "InvalidContainerUrl", /not a valid container name/],
  ["https://docbatchapp.blob.core.windows.net/my%20docs", production, "InvalidContainerUrl", /not a valid container name/],
  ["https://docbatchapp.blob.core.windows.net/docs#top", production, "InvalidContainerUrl", /fragment/],
  ["http://127.0.0.1:10000/docs", development, "InvalidContainerUrl", /expected http:\/\/127\.0\.0\.1:10000\/docs\/\{container\}/],
  ["http://127.0.0.1:10000/", development, "InvalidContainerUrl", /without a valid account/],
  ["https://otheraccount.blob.core.windows.net/docs", production, "StorageAccountNotAllowed", /DOCBATCH_ALLOWED_STORAGE_ACCOUNTS/],
  ["http://127.0.0.1:10000/otheraccount/docs", development, "StorageAccountNotAllowed"],
  ["https://docbatchapp.blob.core.windows.net/docs?sv=2024-11-04&sp=rl", production, "InvalidSasToken", /no SAS signature/],
  ["https://docbatchapp.blob.core.windows.net/docs?restype=container&comp=list", production, "InvalidSasToken", /no SAS signature/],
  ["https://docbatchapp.blob.core.windows.net/docs?sv=2024-11-04&sig=", production, "InvalidSasToken", /empty or repeated/],
  [`https://docbatchapp.blob.core.windows.net/docs?sig=${SECRET}`, production, "InvalidSasToken", /service version/],
  [`https://docbatchapp.blob.core.windows.net/docs?sv=2024-11-04&sr=b&sig=${SECRET}`, production, "InvalidSasToken", /single blob/],
  [`https://docbatchapp.blob.core.windows.net/docs?sv=2024-11-04&se=tomorrow&sig=${SECRET}`, production, "InvalidSasToken", /se is not a date/],
  [`https://evil.example.com/docs?${sas()}`, production, "ForbiddenHost"],
  [`http://docbatchapp.blob.core.windows.net/docs?${sas()}`, production, "InsecureUrl"],
];

test("every refused URL kind throws synchronously with a precise code, the field name and a fix", () => {
  for (const [raw, policy, code, message] of refused) {
    const error = refusal(raw, policy);
    assert.equal(error.code, code, `${raw}: ${error.message}`);
    assert.equal(error.target, TARGET);
    assert.ok(error.message.startsWith(`${TARGET}: `), error.message);
    if (message) assert.match(error.message, message, raw);
    // Neither the SAS signature nor a password ever reaches a message.
    assert.doesNotMatch(error.message, /c2VjcmV0|pa55word/, raw);
  }
});

test("refused URLs aimed at a live local server never reach it", async () => {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    const aimed: Array<[string, StorageUrlPolicy]> = [
      [`http://127.0.0.1:${port}/devstoreaccount1/docs`, production],
      [`http://127.0.0.1:${port}/devstoreaccount1/docs/a.pdf`, development],
      [`http://127.0.0.1:${port}/otheraccount/docs`, development],
      [`http://user:pw@127.0.0.1:${port}/devstoreaccount1/docs`, development],
      [`http://127.0.0.1:${port}/devstoreaccount1/docs?sv=2024-11-04&sp=rl`, development],
      // A well-formed SAS on another loopback port: the grant is no reason to reach another program.
      [`http://127.0.0.1:${port}/devstoreaccount1/docs?${sas()}`, development],
      [`http://localhost:${port}/devstoreaccount1/docs?${sas()}`, development],
    ];
    for (const [raw, policy] of aimed) assert.throws(() => parseContainerUrl(raw, policy, TARGET), StorageUrlError);
    // Then connect once ourselves: connections are accepted in order, so any request started
    // by the refused URLs would have been counted before this probe.
    const probed = new Promise<void>((resolve) => server.once("connection", () => resolve()));
    const probe = connect(port, "127.0.0.1");
    probe.on("error", () => {});
    await probed;
    probe.destroy();
    assert.equal(connections, 1, "only the probe itself connected");
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test("accepts public, sovereign-cloud and DNS-zone blob hosts", () => {
  const own = parseContainerUrl("https://DocBatchApp.BLOB.core.windows.net/docs/", production, TARGET);
  assert.deepEqual(own, {
    accountName: "docbatchapp",
    containerName: "docs",
    serviceUrl: "https://docbatchapp.blob.core.windows.net",
    url: "https://docbatchapp.blob.core.windows.net/docs",
  });
  for (const host of ["partner.blob.core.usgovcloudapi.net", "partner.blob.core.chinacloudapi.cn", "partner.z23.blob.storage.azure.net", "partner.blob.core.windows.net"]) {
    const location = parseContainerUrl(`https://${host}/in-box?${sas()}`, production, TARGET);
    assert.equal(location.accountName, "partner");
    assert.equal(location.serviceUrl, `https://${host}`);
    assert.equal(location.url, `https://${host}/in-box`);
    assert.equal(location.sas, sas(), "the SAS is kept exactly as given");
  }
  assert.equal(parseContainerUrl("https://docbatchapp.blob.core.windows.net:443/$web", production, TARGET).url, "https://docbatchapp.blob.core.windows.net/$web");
  // An account SAS (no sr) works for containers too.
  assert.ok(parseContainerUrl(`https://partner.blob.core.windows.net/docs?sv=2024-11-04&ss=b&srt=co&sp=rl&sig=${SECRET}`, production, TARGET).sas);
});

test("without a SAS nothing passes by default, not even the app's own account", () => {
  const policy = storageUrlPolicy({ allowedStorageAccounts: [], allowLoopbackHttp: false }, "docbatchapp");
  const error = refusal("https://docbatchapp.blob.core.windows.net/docs", policy);
  assert.equal(error.code, "StorageAccountNotAllowed");
  assert.match(error.message, /docbatchapp\/docs/);
  assert.ok(parseContainerUrl(`https://docbatchapp.blob.core.windows.net/docs?${sas()}`, policy, TARGET).sas, "a SAS still works");
});

test("allow-list entries name an account or one container of it", () => {
  const policy = storageUrlPolicy({ allowedStorageAccounts: ["docbatchapp/inbox", "Partner/Results", "archive01"], allowLoopbackHttp: false }, "docbatchapp");
  assert.equal(parseContainerUrl("https://docbatchapp.blob.core.windows.net/inbox", policy, TARGET).containerName, "inbox");
  assert.equal(parseContainerUrl("https://partner.blob.core.windows.net/results", policy, TARGET).containerName, "results");
  assert.equal(parseContainerUrl("https://archive01.blob.core.windows.net/any-container", policy, TARGET).containerName, "any-container");
  assert.equal(refusal("https://docbatchapp.blob.core.windows.net/other", policy).code, "StorageAccountNotAllowed");
  assert.equal(refusal("https://partner.blob.core.windows.net/inbox", policy).code, "StorageAccountNotAllowed");
});

test("the app's internal containers are refused whatever the allow-list, with or without a SAS", () => {
  const policy = storageUrlPolicy({ allowedStorageAccounts: ["docbatchapp", "docbatchapp/azure-webjobs-secrets"], allowLoopbackHttp: false, taskHub: "MyHub" }, "docbatchapp");
  for (const container of ["azure-webjobs-secrets", "azure-webjobs-hosts", "app-package", "app-package-func-x-123", "scm-releases", "myhub-leases", "myhub-largemessages", "myhub-applease"]) {
    for (const query of ["", `?${sas()}`]) {
      const error = refusal(`https://docbatchapp.blob.core.windows.net/${container}${query}`, policy);
      assert.equal(error.code, "ForbiddenContainer", container);
      assert.match(error.message, /app's own data/);
    }
  }
  // The same names on another account are that account's business.
  assert.ok(parseContainerUrl(`https://partner.blob.core.windows.net/azure-webjobs-secrets?${sas()}`, policy, TARGET).sas);
  assert.equal(parseContainerUrl("https://docbatchapp.blob.core.windows.net/myhubdocs", policy, TARGET).containerName, "myhubdocs");
});

test("docbatch's own containers (other callers' uploads and files) are refused; others named with its prefix are not", () => {
  const policy = storageUrlPolicy({ allowedStorageAccounts: ["docbatchapp"], allowLoopbackHttp: false, tablePrefix: "DocBatch" }, "docbatchapp");
  for (const container of ["docbatch-uploads", "docbatch-openai-files", "docbatch-openai-batches"]) {
    for (const query of ["", `?${sas()}`]) assert.equal(refusal(`https://docbatchapp.blob.core.windows.net/${container}${query}`, policy).code, "ForbiddenContainer", container);
  }
  // The CLI uploads local folders into containers such as docbatch-2026-12-03-<id>.
  assert.equal(parseContainerUrl("https://docbatchapp.blob.core.windows.net/docbatch-2026-12-03-4cb9253e", policy, TARGET).containerName, "docbatch-2026-12-03-4cb9253e");
});

test("without a SAS only allow-listed accounts pass", () => {
  const policy = storageUrlPolicy({ allowedStorageAccounts: ["Partner", "archive01"], allowLoopbackHttp: false }, "docbatchapp");
  assert.equal(parseContainerUrl("https://partner.blob.core.windows.net/docs", policy, TARGET).accountName, "partner");
  assert.equal(parseContainerUrl("https://archive01.z4.blob.storage.azure.net/old", policy, TARGET).accountName, "archive01");
  assert.equal(refusal("https://docbatchapp.blob.core.windows.net/docs", policy).code, "StorageAccountNotAllowed");
  assert.equal(refusal("https://stranger.blob.core.windows.net/docs", policy).code, "StorageAccountNotAllowed");
});

test("loopback path-style URLs are accepted in development", () => {
  const location = parseContainerUrl("http://127.0.0.1:10000/devstoreaccount1/docs", development, TARGET);
  assert.equal(location.accountName, "devstoreaccount1");
  assert.equal(location.containerName, "docs");
  assert.equal(location.serviceUrl, "http://127.0.0.1:10000/devstoreaccount1");
  assert.equal(location.url, "http://127.0.0.1:10000/devstoreaccount1/docs");
  assert.equal(location.sas, undefined);
  // Any account with a SAS: the SAS is the grant.
  assert.equal(parseContainerUrl(`http://127.0.0.1:10000/otheraccount/docs?${sas()}`, development, TARGET).sas, sas());
  // The emulator's endpoint named as it is configured: localhost could be another listener (on ::1).
  const byName = storageUrlPolicy({ allowedStorageAccounts: ["devstoreaccount1"], allowLoopbackHttp: true }, "devstoreaccount1", "http://localhost:10000/devstoreaccount1");
  assert.equal(parseContainerUrl("http://LOCALHOST:10000/devstoreaccount1/docs", byName, TARGET).serviceUrl, "http://localhost:10000/devstoreaccount1");
});

test("loopback URLs name only the local emulator's blob endpoint, SAS or not", () => {
  for (const raw of [
    `http://127.0.0.1:10001/devstoreaccount1/docs?${sas()}`,
    `http://localhost:8080/devstoreaccount1/docs?${sas()}`,
    "http://[::1]/devstoreaccount1/docs",
    `https://127.0.0.1:10000/devstoreaccount1/docs?${sas()}`,
    // The emulator's port under another loopback name: possibly another program (on ::1).
    `http://[::1]:10000/devstoreaccount1/docs?${sas()}`,
    "http://localhost:10000/devstoreaccount1/docs",
  ]) {
    const error = refusal(raw, development);
    assert.equal(error.code, "ForbiddenHost", raw);
    assert.match(error.message, /not the local storage emulator's blob endpoint \(http:\/\/127\.0\.0\.1:10000\)/);
  }
  // Loopback allowed but the app's own storage is not on this machine: no loopback URL at all.
  const remoteStorage = storageUrlPolicy({ allowedStorageAccounts: [], allowLoopbackHttp: true }, "docbatchapp", "https://docbatchapp.blob.core.windows.net");
  assert.equal(refusal(`http://127.0.0.1:10000/devstoreaccount1/docs?${sas()}`, remoteStorage).code, "ForbiddenHost");
  const local = storageUrlPolicy({ allowedStorageAccounts: [], allowLoopbackHttp: true }, "devstoreaccount1", "http://127.0.0.1:10000/devstoreaccount1");
  assert.equal(parseContainerUrl(`http://127.0.0.1:10000/devstoreaccount1/docs?${sas()}`, local, TARGET).accountName, "devstoreaccount1");
});

test("redactUrl drops the query, sig included, and any user info", () => {
  assert.equal(redactUrl(`https://a.blob.core.windows.net/docs?${sas()}`), "https://a.blob.core.windows.net/docs");
  assert.equal(redactUrl("https://me:pw@a.blob.core.windows.net/docs#x"), "https://a.blob.core.windows.net/docs");
  assert.equal(redactUrl(`not a url?sig=${SECRET}`), "not a url");
  assert.equal(redactUrl(`//me:pw@host/x?sig=${SECRET}`), "//host/x");
});

test("blobUrl encodes names exactly as the Storage SDK does, and carries no SAS", () => {
  const names = [
    "a b.pdf",
    "folder/sub/ünï código.pdf",
    "hash#1.pdf",
    "what?.pdf",
    "100%.pdf",
    "already%20encoded.pdf",
    "it's (1)!.pdf",
    "日本語/ファイル.pdf",
    "a+b&c=d;e,f:g@h$.pdf",
    "emoji 📄.pdf",
    "double//slash.pdf",
  ];
  for (const raw of [`https://partner.blob.core.windows.net/docs?${sas()}`, "http://127.0.0.1:10000/devstoreaccount1/docs"]) {
    const location = parseContainerUrl(raw, development, TARGET);
    const sdk = new ContainerClient(location.sas ? `${location.url}?${location.sas}` : location.url, new AnonymousCredential());
    for (const name of names) {
      const ours = blobUrl(location, name);
      const theirs = new URL(sdk.getBlobClient(name).url);
      theirs.search = "";
      assert.equal(ours, theirs.href, name);
      assert.doesNotMatch(ours, /sig=|\?/);
      assert.equal(sdk.getBlobClient(name).name, name, "the SDK reads the same name back");
    }
  }
});
