// FUNCTIONS_REQUEST_BODY_SIZE_LIMIT on the local host's buffered path (an app without HTTP
// streams): the same answer as on the streamed path (test/deploy/requestBodyLimit.test.ts).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startLocalHost, type LocalHost } from "../../local-host/index.js";
import { rawPost } from "../support/rawHttp.js";

const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/bufferedApp/index.js");
const LIMIT = 1000;
let host: LocalHost;

before(async () => {
  host = await startLocalHost({ entry, env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(LIMIT), DOCBATCH_TASK_HUB: "buffered" }, log: () => undefined });
});
after(() => host?.close());

test("a buffered app gets bodies up to the limit; over it the host answers 413 with no body", async () => {
  const at = await rawPost(`${host.url}/echo`, {}, Buffer.alloc(LIMIT, 1));
  assert.equal(at.status, 200);
  assert.deepEqual(JSON.parse(at.body), { bytes: LIMIT });

  const over = await rawPost(`${host.url}/echo`, {}, Buffer.alloc(LIMIT + 1, 1));
  assert.equal(over.status, 413);
  assert.equal(over.body, "");
  assert.equal(over.headers.connection, "close");

  const chunked = await rawPost(`${host.url}/echo`, {}, Buffer.alloc(LIMIT * 3, 1), true);
  assert.equal(chunked.status, 413);
  assert.equal(chunked.body, "");

  // The host still serves after refusing.
  assert.equal((await rawPost(`${host.url}/echo`, {}, Buffer.from("ok"))).status, 200);
});
