import assert from "node:assert/strict";
import { createServer, connect, type AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import DocumentIntelligence from "@azure-rest/ai-document-intelligence";
import { AZURITE_ACCOUNT } from "../support/azurite.js";
import { createContainer, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** Every refusal answers in the DI error format with a code, and nothing is started. */
describe("analyzeBatch validation, keys and URL policy", () => {
  let docbatch: Docbatch;
  let sourceSas: string;
  let resultSas: string;
  before(async () => {
    // `otheraccount` is allow-listed but has no key here: reachable by no credential (see below).
    docbatch = await startDocbatch({ checkOpenApi: true, env: { DOCBATCH_ALLOWED_STORAGE_ACCOUNTS: `${AZURITE_ACCOUNT},otheraccount` } });
    sourceSas = await sasUrlFor(await createContainer(docbatch.blobService, { "a.txt": "a" }), docbatch.azurite, "rl");
    resultSas = await sasUrlFor(await createContainer(docbatch.blobService), docbatch.azurite);
  });
  after(async () => docbatch?.close());

  async function post(body: unknown, query = "api-version=2024-11-30", model = "prebuilt-read", headers: Record<string, string> = {}) {
    const response = await fetch(`${docbatch.host.url}/documentintelligence/documentModels/${model}:analyzeBatch?${query}`, {
      method: "POST",
      headers: { "content-type": "application/json", "ocp-apim-subscription-key": docbatch.apiKey, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  const valid = () => ({ azureBlobSource: { containerUrl: sourceSas }, resultContainerUrl: resultSas });

  test("a missing or wrong key gets 401 from the official client and from plain HTTP", async () => {
    const wrong = DocumentIntelligence(docbatch.host.url, { key: "not-the-key" }, { allowInsecureConnection: true });
    const response = await wrong.path("/documentModels/{modelId}:analyzeBatch", "prebuilt-read").post({ contentType: "application/json", body: valid() });
    assert.equal(response.status, "401");
    assert.equal((response.body as any).error.code, "401");
    const none = await fetch(`${docbatch.host.url}/documentintelligence/documentModels?api-version=2024-11-30`);
    assert.equal(none.status, 401);
    assert.match((await none.json()).error.message, /Ocp-Apim-Subscription-Key/);
  });

  test("every configured key is accepted, in either header", async () => {
    const rotated = await fetch(`${docbatch.host.url}/documentintelligence/documentModels?api-version=2024-11-30`, {
      headers: { "api-key": `rotated-${docbatch.apiKey}` },
    });
    assert.equal(rotated.status, 200);
    const models = (await rotated.json()).value.map((m: any) => m.modelId);
    assert.ok(models.includes("prebuilt-read"));
  });

  test("an unknown model is 404 ModelNotFound", async () => {
    const response = await post(valid(), undefined, "no-such-model");
    assert.equal(response.status, 404);
    assert.equal(response.body.error.innererror.code, "ModelNotFound");
  });

  const badRequests: [string, () => unknown, string, RegExp][] = [
    ["body is not JSON", () => "{nope", "InvalidContent", /JSON/],
    ["body is an array", () => [], "InvalidContent", /JSON object/],
    ["no source", () => ({ resultContainerUrl: resultSas }), "InvalidParameter", /exactly one/],
    ["two sources", () => ({ ...valid(), azureBlobFileListSource: { containerUrl: sourceSas, fileList: "l.jsonl" } }), "InvalidParameter", /exactly one/],
    ["no result container", () => ({ azureBlobSource: { containerUrl: sourceSas } }), "InvalidParameter", /resultContainerUrl/],
    ["file list without fileList", () => ({ azureBlobFileListSource: { containerUrl: sourceSas }, resultContainerUrl: resultSas }), "InvalidParameter", /fileList/],
    ["overwriteExisting not boolean", () => ({ ...valid(), overwriteExisting: "yes" }), "InvalidParameter", /overwriteExisting/],
    ["unknown field", () => ({ ...valid(), surprise: 1 }), "InvalidParameter", /surprise/],
    ["containerUrl not a string", () => ({ azureBlobSource: { containerUrl: 42 }, resultContainerUrl: resultSas }), "InvalidParameter", /containerUrl/],
  ];
  for (const [name, body, code, message] of badRequests) {
    test(`400 when ${name}`, async () => {
      const response = await post(body());
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.match(response.body.error.code, /^Invalid(Request|Argument)$/);
      assert.equal(response.body.error.innererror.code, code);
      assert.match(response.body.error.innererror.message, message);
    });
  }

  const badQueries: [string, string, string][] = [
    ["pages=0", "pages", "pages"],
    ["pages=3-1", "pages", "pages"],
    ["pages=abc", "pages", "pages"],
    ["locale=english!", "locale", "locale"],
    ["stringIndexType=bytes", "stringIndexType", "stringIndexType"],
    ["outputContentFormat=html", "outputContentFormat", "outputContentFormat"],
    ["features=telepathy", "features", "features"],
    ["queryFields=Total", "queryFields", "queryFields"],
    ["output=pdf", "output", "output"],
  ];
  for (const [query, target] of badQueries) {
    test(`400 for ${query}`, async () => {
      const response = await post(valid(), `api-version=2024-11-30&${query}`);
      assert.equal(response.status, 400);
      assert.equal(response.body.error.target, target);
      assert.match(response.body.error.innererror.message, new RegExp(target));
    });
  }

  test("api-version is required and must be supported", async () => {
    const missing = await post(valid(), "");
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, "MissingApiVersionParameter");
    const unsupported = await post(valid(), "api-version=2019-01-01");
    assert.equal(unsupported.status, 400);
    assert.equal(unsupported.body.error.code, "UnsupportedApiVersion");
  });

  const refusedUrls: [string, string, string][] = [
    ["another host", "https://example.com/container?sv=2024&sig=abc", "ForbiddenHost"],
    ["a non-blob storage endpoint", "https://acct.queue.core.windows.net/container?sv=2024&sig=abc", "ForbiddenHost"],
    ["plain http outside loopback", "http://acct.blob.core.windows.net/container?sv=2024&sig=abc", "InsecureUrl"],
    ["the metadata address", "http://169.254.169.254/metadata/instance", "ForbiddenHost"],
    ["a link-local https address", "https://169.254.10.10/acct/container", "ForbiddenHost"],
    ["an account off the allow-list without SAS", "https://someoneelse.blob.core.windows.net/container", "StorageAccountNotAllowed"],
    ["not a URL", "container-name-only", "InvalidContainerUrl"],
    ["a blob instead of a container", "https://acct.blob.core.windows.net/container/some/blob.pdf?sv=2024&sig=abc", "InvalidContainerUrl"],
  ];
  for (const [name, url, code] of refusedUrls) {
    test(`refuses ${name} before any request leaves the app`, async () => {
      const response = await post({ azureBlobSource: { containerUrl: url }, resultContainerUrl: resultSas });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error.innererror.code, code, JSON.stringify(response.body));
      assert.equal(response.body.error.target, "azureBlobSource.containerUrl");
      assert.doesNotMatch(JSON.stringify(response.body), /sig=abc/);
      const asResult = await post({ azureBlobSource: { containerUrl: sourceSas }, resultContainerUrl: url });
      assert.equal(asResult.status, 400);
      assert.equal(asResult.body.error.target, "resultContainerUrl");
    });
  }

  test("a loopback source on a port other than the local Azurite's is refused, SAS or not, and never contacted", async () => {
    let connections = 0;
    const bystander = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => bystander.listen(0, "127.0.0.1", resolve));
    const { port } = bystander.address() as AddressInfo;
    try {
      const sasShaped = `sv=2024-11-04&sr=c&sp=rl&se=2030-01-01T00%3A00%3A00Z&sig=${encodeURIComponent("c2lnbmF0dXJl")}`;
      for (const host of ["127.0.0.1", "localhost"]) {
        const response = await post({ azureBlobSource: { containerUrl: `http://${host}:${port}/devstoreaccount1/docs?${sasShaped}` }, resultContainerUrl: resultSas });
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assert.equal(response.body.error.innererror.code, "ForbiddenHost");
        assert.equal(response.body.error.target, "azureBlobSource.containerUrl");
        assert.match(response.body.error.innererror.message, /not the local storage emulator's blob endpoint/);
      }
      // The emulator's own port under another loopback name is refused the same way.
      const renamed = resultSas.replace("127.0.0.1", "localhost");
      const asLocalhost = await post({ azureBlobSource: { containerUrl: sourceSas }, resultContainerUrl: renamed });
      assert.equal(asLocalhost.status, 400);
      assert.equal(asLocalhost.body.error.innererror.code, "ForbiddenHost");
      // Connections are accepted in order: one started by the app would be counted before ours.
      const probed = new Promise<void>((resolve) => bystander.once("connection", () => resolve()));
      connect(port, "127.0.0.1").on("error", () => undefined);
      await probed;
      assert.equal(connections, 1, "only the probe connected");
    } finally {
      await new Promise((resolve) => bystander.close(resolve));
    }
  });

  test("a source no credential can reach is refused before the 202, as the result container is", async () => {
    // Another account on the emulator, allow-listed, without a SAS: the app holds a key for its own account only.
    const unreachable = `${new URL(docbatch.azurite.blobEndpoint).origin}/otheraccount/docs`;
    const before = await listedBatchCount();
    const asSource = await post({ azureBlobSource: { containerUrl: unreachable }, resultContainerUrl: resultSas });
    assert.equal(asSource.status, 400, JSON.stringify(asSource.body));
    assert.equal(asSource.body.error.code, "InvalidArgument");
    assert.equal(asSource.body.error.innererror.code, "StorageAccountNotAllowed");
    assert.equal(asSource.body.error.target, "azureBlobSource.containerUrl");
    const asFileListSource = await post({ azureBlobFileListSource: { containerUrl: unreachable, fileList: "list.jsonl" }, resultContainerUrl: resultSas });
    assert.equal(asFileListSource.status, 400);
    assert.equal(asFileListSource.body.error.target, "azureBlobFileListSource.containerUrl");
    const asResult = await post({ azureBlobSource: { containerUrl: sourceSas }, resultContainerUrl: unreachable });
    assert.equal(asResult.status, 400);
    assert.deepEqual({ code: asResult.body.error.code, inner: asResult.body.error.innererror.code }, { code: asSource.body.error.code, inner: "StorageAccountNotAllowed" });
    assert.equal(await listedBatchCount(), before, "no batch was created");
  });

  async function listedBatchCount(): Promise<number> {
    const response = await fetch(`${docbatch.host.url}/documentintelligence/documentModels/prebuilt-read/analyzeBatchResults?api-version=2024-11-30`, { headers: { "ocp-apim-subscription-key": docbatch.apiKey } });
    assert.equal(response.status, 200);
    return ((await response.json()) as { value: unknown[] }).value.length;
  }

  test("unknown paths and methods answer 404 and 405 in the error format", async () => {
    const unknown = await fetch(`${docbatch.host.url}/documentintelligence/nothing-here?api-version=2024-11-30`, { headers: { "api-key": docbatch.apiKey } });
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error.code, "NotFound");
    const wrongMethod = await fetch(`${docbatch.host.url}/documentintelligence/documentModels/prebuilt-read:analyzeBatch?api-version=2024-11-30`, { headers: { "api-key": docbatch.apiKey } });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "POST");
  });

  test("a result id that is not a UUID, or unknown, is refused clearly", async () => {
    const notUuid = await fetch(`${docbatch.host.url}/documentintelligence/documentModels/prebuilt-read/analyzeBatchResults/xyz?api-version=2024-11-30`, { headers: { "api-key": docbatch.apiKey } });
    assert.equal(notUuid.status, 400);
    const unknown = await fetch(`${docbatch.host.url}/documentintelligence/documentModels/prebuilt-read/analyzeBatchResults/6f1c1a3e-0000-4000-8000-000000000000?api-version=2024-11-30`, { headers: { "api-key": docbatch.apiKey } });
    assert.equal(unknown.status, 404);
  });
});
