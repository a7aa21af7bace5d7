import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import pLimit from "p-limit";
import { createContainer, listBlobNames, runBatch, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";

/** Enough to cover every defect class many times over, few enough for well under 30 s. */
const CASES = 2_000;
const API_VERSION = "2024-11-30";
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);

interface FuzzRequest {
  /** What makes this request wrong: every generated request has one defect on purpose. */
  defect: string;
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body?: string;
}

/**
 * Issue 10: property-based fuzzing of the DI front door on the local host. Each generated
 * request is a valid one with one defect (key, path, method, query, body, size), plus noise that
 * changes nothing (unknown headers, odd content types). Every answer must be a 4xx in DI's error
 * format, none a 5xx or a hang, and a good batch must still succeed afterwards.
 */
describe("fuzzing the Document Intelligence front door", { timeout: 120_000 }, () => {
  let docbatch: Docbatch;
  let models: string[];
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
    const listed = await fetch(`${docbatch.host.url}/documentintelligence/documentModels?api-version=${API_VERSION}`, { headers: { "api-key": docbatch.apiKey } });
    models = (await listed.json()).value.map((model: { modelId: string }) => model.modelId);
  });
  after(async () => docbatch?.close());

  test(`${CASES} generated malformed requests all get a 4xx in DI's error format (seed ${SEED})`, async () => {
    const requests = fc.sample(malformedRequest({ apiKey: docbatch.apiKey, models, azuriteBlob: docbatch.azurite.blobEndpoint }), { numRuns: CASES, seed: SEED });
    const limit = pLimit(8);
    const failures: string[] = [];
    const defects = new Map<string, number>();
    await Promise.all(
      requests.map((request) =>
        limit(async () => {
          defects.set(request.defect, (defects.get(request.defect) ?? 0) + 1);
          const problem = await send(docbatch.host.url, request);
          if (problem) failures.push(`${problem}\n  ${request.defect}: ${request.method} ${request.path}?${new URLSearchParams(request.query)} ${JSON.stringify(request.headers)} ${request.body?.slice(0, 300) ?? ""}`);
        }),
      ),
    );
    console.log(`fuzz: ${requests.length} cases (seed ${SEED}):`, Object.fromEntries([...defects].sort()));
    assert.equal(requests.length, CASES);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${requests.length} answers were wrong (rerun with FUZZ_SEED=${SEED})`);
    const listed = await fetch(`${docbatch.host.url}/documentintelligence/documentModels/prebuilt-read/analyzeBatchResults?api-version=${API_VERSION}`, { headers: { "api-key": docbatch.apiKey } });
    assert.deepEqual((await listed.json()).value, [], "no malformed request started a batch");
  });

  test("a good batch still succeeds afterwards", async () => {
    const source = await createContainer(docbatch.blobService, { "after-fuzz.txt": "still serving" });
    const results = await createContainer(docbatch.blobService);
    const { final } = await runBatch(docbatch, "prebuilt-read", {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite),
    });
    assert.equal((final.body as any).status, "succeeded");
    assert.deepEqual(await listBlobNames(results), ["after-fuzz.txt.ocr.json"]);
  });
});

/** Sends one request; returns what is wrong with the answer, or undefined. */
async function send(base: string, request: FuzzRequest): Promise<string | undefined> {
  const url = `${base}/documentintelligence/${request.path}${request.query.length ? `?${new URLSearchParams(request.query)}` : ""}`;
  let response: Response;
  try {
    response = await fetch(url, { method: request.method, headers: request.headers, body: request.body, signal: AbortSignal.timeout(20_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return `no answer: ${(error as Error).message}${cause ? ` (${cause.code ?? ""} ${cause.message ?? ""})` : ""}`;
  }
  const text = await response.text();
  if (response.status < 400 || response.status > 499) return `status ${response.status}: ${text.slice(0, 300)}`;
  if (request.method === "HEAD") return response.headers.get("allow") || response.status !== 405 ? undefined : "405 without Allow";
  try {
    const { error } = JSON.parse(text);
    if (typeof error?.code !== "string" || typeof error?.message !== "string" || !error.message) return `not DI's error format: ${text.slice(0, 300)}`;
  } catch {
    return `not JSON: ${response.status} ${text.slice(0, 300)}`;
  }
  if (response.status === 405 && !response.headers.get("allow")) return "405 without Allow";
  return undefined;
}

interface Context {
  apiKey: string;
  /** Models the deployment offers: a generated id equal to one is no defect. */
  models: string[];
  azuriteBlob: string;
}

/** Text with the characters that break parsers: controls, quotes, percent signs, slashes, non-BMP. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("%", "%E0%A4%A", "%ZZ", "..", ".", "%2e%2e", "%00", "\u0000", "\u202e", "😀", "a:b", "::", "'", '"', "<script>", "${x}", "\\", " "),
);

/**
 * A path segment as a client might send it: encoded, raw or broken percent-encoding. Never empty
 * or a dot segment: URL parsing would drop or fold those into another, valid path.
 */
const segment = fc
  .oneof(
    nasty.map((text) => encodeURIComponent(text)),
    fc.stringMatching(/^[A-Za-z0-9._~:-]{1,20}$/),
    fc.constantFrom("%", "%E0%A4%A", "%ZZ", "%2F", "%25", "documentmodels", "DocumentModels", "analyzebatchresults"),
  )
  .filter((part) => part.length > 0 && !/^(\.|%2e){1,2}$/i.test(part));

const storageUrl = (ctx: Context) =>
  fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    nasty,
    fc.constantFrom(
      "file:///etc/passwd",
      "http://169.254.169.254/metadata/instance",
      "https://attacker.blob.core.windows.net/c",
      "ftp://x/y",
      "https://user:pw@acct.blob.core.windows.net/c",
      "http://[::1]:10000/devstoreaccount1/c",
      "https://acct.blob.core.windows.net/c/../../x",
      "",
    ),
    // The app's own Azurite account, but containers that do not exist (or bad names).
    fc.stringMatching(/^[a-z0-9-]{1,70}$/).map((name) => `${ctx.azuriteBlob}/fuzz${name}`),
    fc.stringMatching(/^[A-Z_.]{3,10}$/).map((name) => `${ctx.azuriteBlob}/${name}`),
  );

/** Any JSON value but a valid AnalyzeBatchDocumentsRequest (no generated URL names a real container). */
const badBody = (ctx: Context) => {
  const junk = fc.oneof(fc.anything({ maxDepth: 2 }), storageUrl(ctx));
  const source = fc.record({ containerUrl: fc.oneof(storageUrl(ctx), junk), prefix: fc.oneof(nasty, junk) }, { requiredKeys: [] });
  const fileList = fc.record({ containerUrl: fc.oneof(storageUrl(ctx), junk), fileList: fc.oneof(nasty, junk) }, { requiredKeys: [] });
  const nearlyValid = fc.record(
    {
      azureBlobSource: fc.oneof(source, junk),
      azureBlobFileListSource: fc.oneof(fileList, junk),
      resultContainerUrl: fc.oneof(storageUrl(ctx), junk),
      resultPrefix: fc.oneof(nasty, junk),
      overwriteExisting: fc.oneof(fc.boolean(), junk),
      unknownField: junk,
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 4, arbitrary: nearlyValid.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "null", "[]", '{"azureBlobSource":', "\uFEFF{}", "{}".repeat(1000)) },
  );
};

function malformedRequest(ctx: Context): fc.Arbitrary<FuzzRequest> {
  const goodKey = { "ocp-apim-subscription-key": ctx.apiKey };
  const noise = fc.dictionary(
    fc.stringMatching(/^x-[a-z0-9-]{1,12}$/),
    fc.stringMatching(/^[\x20-\x7e]{0,40}$/).map((value) => value.trim()),
    { maxKeys: 3 },
  );
  const contentType = fc.constantFrom("application/json", "text/plain", "application/octet-stream", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "");
  const unknownModel = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._~-]{0,40}$/).filter((id) => !ctx.models.includes(id));
  const analyze = `documentModels/prebuilt-read:analyzeBatch`;
  const list = `documentModels/prebuilt-read/analyzeBatchResults`;

  const base = (defect: string, overrides: Partial<FuzzRequest>) =>
    fc.tuple(noise, contentType).map(([extra, type]) => {
      const request: FuzzRequest = { defect, method: "POST", path: analyze, query: [["api-version", API_VERSION]], headers: { ...extra, ...goodKey }, ...overrides };
      if (type && request.method !== "GET" && request.method !== "HEAD") request.headers["content-type"] = type;
      if (request.method === "GET" || request.method === "HEAD") delete request.body;
      return request;
    });
  const chained = <T>(arbitrary: fc.Arbitrary<T>, make: (value: T) => fc.Arbitrary<FuzzRequest>) => arbitrary.chain(make);

  return fc.oneof(
    // The body of analyzeBatch, everything else right.
    { weight: 8, arbitrary: chained(badBody(ctx), (body) => base("body", { body })) },
    // Keys: missing, wrong, in the wrong scheme.
    {
      weight: 2,
      arbitrary: chained(
        fc.tuple(fc.constantFrom("POST", "GET", "DELETE"), fc.oneof(fc.constant(undefined), fc.stringMatching(/^[\x21-\x7e]{0,60}$/)), fc.constantFrom("ocp-apim-subscription-key", "api-key", "authorization")),
        ([method, key, header]) =>
          base("key", { method, path: method === "POST" ? analyze : list, body: method === "POST" ? "{}" : undefined }).map((request) => {
            delete request.headers["ocp-apim-subscription-key"];
            if (key !== undefined && key !== ctx.apiKey) request.headers[header] = header === "authorization" ? `Basic ${key}` : key;
            return request;
          }),
      ),
    },
    // Paths: garbage segments, broken percent-encoding, unknown or invalid models, wrong case.
    {
      weight: 3,
      arbitrary: chained(
        fc.tuple(
          fc.constantFrom("GET", "POST", "DELETE"),
          fc.oneof(
            fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `x${parts.join("/")}`),
            fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `documentModels/prebuilt%E0%A4%A${parts.join("/")}`),
            unknownModel.map((id) => `documentModels/${id}`),
            unknownModel.map((id) => `documentModels/${id}:analyzeBatch`),
            segment.map((part) => `documentModels/prebuilt-read:${part.replace(/^analyzeBatch$/, "analyzebatch")}`),
            segment.map((part) => `documentModels/prebuilt-read/analyzeBatchResults/${part}`),
            segment.map((part) => `documentModels/prebuilt-read/${part.replace(/^analyzeBatchResults$/, "x")}/${part}`),
          ),
        ),
        ([method, path]) => base("path", { method, path, body: method === "POST" ? "{}" : undefined }),
      ),
    },
    // Methods the route does not allow.
    {
      weight: 2,
      arbitrary: chained(
        fc.tuple(fc.constantFrom("PUT", "PATCH", "OPTIONS", "HEAD"), fc.constantFrom(analyze, list, "documentModels", "documentModels/prebuilt-read", `${list}/6f1c1a3e-0000-4000-8000-000000000000`)),
        ([method, path]) => base("method", { method, path, body: method === "HEAD" ? undefined : "{}" }),
      ),
    },
    // Queries: api-version missing or unsupported; paging and analyze options wrong.
    {
      weight: 4,
      arbitrary: chained(
        fc.oneof(
          fc.constant<[string, string][]>([]),
          nasty.filter((v) => v !== API_VERSION).map((v): [string, string][] => [["api-version", v]]),
          fc.tuple(fc.constantFrom("pages", "locale", "features", "stringIndexType", "outputContentFormat", "output", "queryFields"), nasty.filter((v) => !/^\s*$/.test(v) && !/^[A-Za-z]{2,3}$/.test(v) && !/^\d+$/.test(v))).map(
            ([name, value]): [string, string][] => [["api-version", API_VERSION], [name, value]],
          ),
        ),
        (query) => base("query", { query, body: "{}" }),
      ),
    },
    {
      weight: 3,
      arbitrary: chained(
        fc.oneof(
          nasty.map((token): [string, string] => ["continuationToken", token || "x"]),
          fc.oneof(nasty, fc.integer({ max: 0 }).map(String), fc.double().map(String)).filter((v) => !(Number.isInteger(Number(v)) && Number(v) >= 1)).map((v): [string, string] => ["maxpagesize", v]),
        ),
        (param) => base("paging", { method: "GET", path: list, query: [["api-version", API_VERSION], param] }),
      ),
    },
    // Result ids that are not UUIDs, or UUIDs of no batch, to GET and DELETE.
    {
      weight: 2,
      arbitrary: chained(fc.tuple(fc.constantFrom("GET", "DELETE"), fc.oneof(fc.uuid(), segment)), ([method, id]) => base("resultId", { method, path: `${list}/${id}` })),
    },
    // Bodies past the 1 MB limit.
    { weight: 1, arbitrary: chained(fc.integer({ min: 1024 * 1024 + 1, max: 1024 * 1024 + 4096 }), (size) => base("size", { body: " ".repeat(size) })) },
  );
}
