import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requireApiKey } from "../../src/api/http/apiKeyCheck.js";
import { serve } from "../../src/api/http/serve.js";
import { DocuDevsError, docuDevsErrors } from "../../src/api/uploadBatch/errors.js";
import { parseUploadCommand } from "../../src/api/uploadBatch/uploadCommand.js";

const path = "/document/batch/abc/process";
const request = { method: "POST", url: `http://localhost${path}` };
const run = (handle: () => Promise<never>) => serve(request, { errors: docuDevsErrors(path) }, handle);

function assertShape(response: { status?: number; jsonBody?: unknown }, status: number, error: string, message: RegExp) {
  assert.equal(response.status, status);
  const body = response.jsonBody as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ["error", "message", "path", "status", "timestamp"]);
  assert.equal(body.status, status);
  assert.equal(body.error, error);
  assert.equal(body.path, path);
  assert.ok(!Number.isNaN(Date.parse(body.timestamp as string)));
  assert.match(body.message as string, message);
}

describe("DocuDevs errors", () => {
  it("renders its own errors, command errors and the plumbing's in their format", async () => {
    assertShape(await run(async () => { throw DocuDevsError.notFound("abc"); }), 404, "Not Found", /No job 'abc'/);
    assertShape(await run(async () => { throw DocuDevsError.conflict("already processing"); }), 409, "Conflict", /already processing/);
    assertShape(await run(async () => { parseUploadCommand({ barcodes: true }); throw new Error("unreachable"); }), 400, "Bad Request", /unsupported options: barcodes/);
    assertShape(await run(async () => { throw new Error("boom"); }), 500, "Internal Server Error", /unexpected/);
  });

  it("accepts the key as Bearer or bare in Authorization, else a 401 in their format", async () => {
    const keys = ["secret-key"];
    assert.doesNotThrow(() => requireApiKey(new Headers({ authorization: "Bearer secret-key" }), keys));
    assert.doesNotThrow(() => requireApiKey(new Headers({ authorization: "secret-key" }), keys));
    assertShape(await run(async () => { requireApiKey(new Headers({ authorization: "Bearer wrong" }), keys); throw new Error("unreachable"); }), 401, "Unauthorized", /API key/);
  });
});
