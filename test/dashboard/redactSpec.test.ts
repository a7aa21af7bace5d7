import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { REMOVED, redactSpec } from "../../src/api/dashboard/redactSpec.js";

describe("the request a batch page shows (redactSpec)", () => {
  test("sealed values go, key-like fields are marked removed, URLs lose their query; the rest is kept", () => {
    const spec = {
      modelId: "prebuilt-read",
      source: { kind: "container", url: "https://acct.blob.core.windows.net/docs", prefix: "in/" },
      sealedSourceUrl: "v1.abc.def",
      resultUrl: "https://acct.blob.core.windows.net/out?sv=2024-11-04&sig=c2VjcmV0",
      output: { folderUrl: "https://user:pw@acct.blob.core.windows.net/f", sealedFolderUrl: "v1.x" },
      command: { prompt: "Extract", apiKey: "k-123", schema: { properties: { token: { type: "string" } } } },
      metadata: { tokenCount: "3" },
      lines: ["https://example.com/a?code=1"],
    };
    const shown = redactSpec(JSON.stringify(spec)) as any;
    const text = JSON.stringify(shown);
    for (const secret of ["v1.abc.def", "c2VjcmV0", "sig=", "k-123", "pw@", "code=1"]) assert.ok(!text.includes(secret), `${secret} is gone: ${text}`);
    assert.equal(shown.sealedSourceUrl, undefined);
    assert.equal(shown.output.sealedFolderUrl, undefined);
    assert.equal(shown.resultUrl, `https://acct.blob.core.windows.net/out?${REMOVED}`);
    assert.equal(shown.output.folderUrl, "https://acct.blob.core.windows.net/f");
    assert.equal(shown.command.apiKey, REMOVED);
    assert.equal(shown.command.schema.properties.token, REMOVED, "a field called token is removed even in a schema: better safe");
    assert.equal(shown.metadata.tokenCount, "3");
    assert.deepEqual(shown.source, spec.source);
    assert.equal(shown.modelId, "prebuilt-read");
  });

  test("a spec that is not JSON shows as null", () => {
    assert.equal(redactSpec("{ nope"), null);
  });
});
