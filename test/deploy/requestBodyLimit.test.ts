// The Functions host refuses a request body over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT before the app
// sees it; the local host does the same, so tests meet the limit where deployed users will. And
// the limit a deployment sets sits above every body docbatch itself accepts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { rawPost } from "../support/rawHttp.js";
import { HOST_DEFAULT_REQUEST_BODY_LIMIT, hostRequestBodyLimit } from "../../local-host/requestBodyLimit.js";
import { MULTIPART_ALLOWANCE_BYTES, requestBodyLimitFor } from "../../src/config/requestBodyLimit.js";
import { readSettings } from "../../src/config/settings.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const LIMIT = 4096;
const ANALYZE_PATH = "/documentintelligence/documentModels/prebuilt-read:analyzeBatch?api-version=2024-11-30";

/** The Document Intelligence front door's batch start, with any body. */
const post = (url: string, headers: Record<string, string>, body: Buffer, chunked = false) => rawPost(`${url}${ANALYZE_PATH}`, headers, body, chunked);

describe("the local host's request body limit (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT)", () => {
  let docbatch: Docbatch;
  let headers: Record<string, string>;
  before(async () => {
    docbatch = await startDocbatch({ env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(LIMIT) } });
    headers = { "content-type": "application/json", "ocp-apim-subscription-key": docbatch.apiKey };
  });
  after(() => docbatch?.close());

  it("a body over the limit gets the host's answer: 413, no body, connection closed", async () => {
    const answer = await post(docbatch.host.url, headers, Buffer.alloc(LIMIT + 1, 0x20));
    assert.equal(answer.status, 413);
    assert.equal(answer.body, "");
    assert.equal(answer.headers.connection, "close");
  });

  it("a chunked body that grows past the limit gets the same answer", async () => {
    const answer = await post(docbatch.host.url, headers, Buffer.alloc(LIMIT * 3, 0x20), true);
    assert.equal(answer.status, 413);
    assert.equal(answer.body, "");
  });

  it("a body at the limit reaches docbatch, which answers in its own format", async () => {
    const answer = await post(docbatch.host.url, headers, Buffer.alloc(LIMIT, 0x20));
    assert.equal(answer.status, 400);
    assert.match(JSON.parse(answer.body).error.code, /Invalid/);
  });
});

describe("the limit a deployment sets", () => {
  it("the host's default applies when the setting is unset or no number", () => {
    assert.equal(hostRequestBodyLimit({}), HOST_DEFAULT_REQUEST_BODY_LIMIT);
    assert.equal(hostRequestBodyLimit({ FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: "lots" }), 104857600);
    assert.equal(hostRequestBodyLimit({ FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: "2048" }), 2048);
  });

  it("is above every body docbatch accepts, by one multipart allowance", () => {
    const defaults = readSettings({});
    const limit = requestBodyLimitFor(defaults);
    assert.ok(limit > HOST_DEFAULT_REQUEST_BODY_LIMIT, "the OpenAI file limit (200 MB) needs more than the host's default");
    for (const accepted of [defaults.openAiBatches.maxFileBytes, defaults.uploadBatches.maxDocumentBytes]) {
      assert.ok(accepted + MULTIPART_ALLOWANCE_BYTES <= limit, `${accepted} bytes plus multipart framing pass the host`);
    }
  });

  it("infra/main.bicep computes the same limit from the same values and sets it on the app", () => {
    const main = readFileSync(path.join(root, "infra/main.bicep"), "utf8");
    const number = (name: string) => Number(new RegExp(`^var ${name} = (\\d+)$`, "m").exec(main)?.[1]);
    const defaults = readSettings({});
    assert.equal(number("openAiMaxFileBytes"), defaults.openAiBatches.maxFileBytes);
    assert.equal(number("uploadMaxDocumentBytes"), defaults.uploadBatches.maxDocumentBytes);
    assert.equal(number("multipartAllowanceBytes"), MULTIPART_ALLOWANCE_BYTES);
    assert.match(main, /^var requestBodySizeLimit = max\(openAiMaxFileBytes, uploadMaxDocumentBytes\) \+ multipartAllowanceBytes$/m);
    assert.match(main, /DOCBATCH_OPENAI_MAX_FILE_BYTES: string\(openAiMaxFileBytes\)/);
    assert.match(main, /DOCBATCH_UPLOAD_MAX_DOCUMENT_BYTES: string\(uploadMaxDocumentBytes\)/);
    assert.match(main, /requestBodySizeLimit: requestBodySizeLimit/);
    // Core Tools (`npm start`) reads local.settings.json: the example sets the same limit.
    const example = JSON.parse(readFileSync(path.join(root, "local.settings.json.example"), "utf8")) as { Values: Record<string, string> };
    assert.equal(example.Values.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, String(requestBodyLimitFor(defaults)));
    const app = readFileSync(path.join(root, "infra/app/functionApp.bicep"), "utf8");
    assert.match(app, /FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string\(requestBodySizeLimit\)/);
  });
});
