import assert from "node:assert/strict";
import { test } from "node:test";
import { readSettings } from "../../src/config/settings.js";

test("the public URL: DOCBATCH_PUBLIC_URL first, else WEBSITE_HOSTNAME (https, http on loopback), else none", () => {
  assert.equal(readSettings({ DOCBATCH_PUBLIC_URL: "https://docbatch.example.com/gateway/", WEBSITE_HOSTNAME: "app.azurewebsites.net" }).publicUrl, "https://docbatch.example.com/gateway");
  assert.equal(readSettings({ WEBSITE_HOSTNAME: "app.azurewebsites.net" }).publicUrl, "https://app.azurewebsites.net");
  assert.equal(readSettings({ WEBSITE_HOSTNAME: "localhost:7071" }).publicUrl, "http://localhost:7071");
  assert.equal(readSettings({ WEBSITE_HOSTNAME: "127.0.0.1:41234" }).publicUrl, "http://127.0.0.1:41234");
  assert.equal(readSettings({}).publicUrl, undefined);
  assert.equal(readSettings({ DOCBATCH_PUBLIC_URL: "" }).publicUrl, undefined, "empty counts as unset");
});

test("a DOCBATCH_PUBLIC_URL that is no http(s) base URL is refused at startup", () => {
  for (const bad of ["docbatch.example.com", "ftp://x", "https://x/?a=1", "https://x/#f", "https://"]) {
    assert.throws(() => readSettings({ DOCBATCH_PUBLIC_URL: bad }), /DOCBATCH_PUBLIC_URL/, bad);
  }
});
