import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createSecretBox, generateSecretBoxKey, SecretBoxError } from "../../src/storage/secretBox.js";

const sasUrl = "https://partner.blob.core.windows.net/docs?sv=2024-11-04&sr=c&sp=rl&se=2030-01-01T00%3A00%3A00Z&sig=abc%2Bdef%3D";

test("seal and open round-trip; each seal differs; the secret is not readable in the sealed form", () => {
  const box = createSecretBox(generateSecretBoxKey());
  const first = box.seal(sasUrl);
  const second = box.seal(sasUrl);
  assert.notEqual(first, second, "a fresh IV per seal");
  assert.match(first, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
  assert.ok(!first.includes("sig") && !first.includes("partner"));
  assert.equal(box.open(first), sasUrl);
  assert.equal(box.open(second), sasUrl);
  assert.equal(box.open(box.seal("")), "");
  assert.equal(box.open(box.seal("ünïcödé 📄")), "ünïcödé 📄");
});

test("the same key in base64url form opens what the base64 form sealed", () => {
  const raw = randomBytes(32);
  const sealed = createSecretBox(raw.toString("base64")).seal(sasUrl);
  assert.equal(createSecretBox(raw.toString("base64url")).open(sealed), sasUrl);
});

test("tampering with any part is detected", () => {
  const box = createSecretBox(generateSecretBoxKey());
  const sealed = box.seal(sasUrl);
  const parts = sealed.split(".");
  for (const index of [1, 2, 3]) {
    const bytes = Buffer.from(parts[index], "base64url");
    bytes[0] ^= 1;
    const altered = parts.map((part, i) => (i === index ? bytes.toString("base64url") : part)).join(".");
    assert.throws(() => box.open(altered), SecretBoxError);
  }
  assert.throws(() => box.open(sealed.slice(0, -2)), SecretBoxError);
  assert.throws(() => box.open(`v2.${parts.slice(1).join(".")}`), /Not a sealed value/);
  assert.throws(() => box.open(sasUrl), /Not a sealed value/);
  assert.throws(() => box.open("v1.!!.??.**"), /base64url/);
});

test("a wrong key fails with a clear error, never garbage", () => {
  const sealed = createSecretBox(generateSecretBoxKey()).seal(sasUrl);
  assert.throws(() => createSecretBox(generateSecretBoxKey()).open(sealed), /another key \(DOCBATCH_ENCRYPTION_KEY changed\?\) or has been altered/);
});

test("associated data binds a sealed value to its context", () => {
  const box = createSecretBox(generateSecretBoxKey());
  const sealed = box.seal(sasUrl, "batch-1");
  assert.equal(box.open(sealed, "batch-1"), sasUrl);
  assert.throws(() => box.open(sealed, "batch-2"), SecretBoxError);
  assert.throws(() => box.open(sealed), SecretBoxError);
});

test("keys that are not base64 of exactly 32 bytes are refused", () => {
  assert.throws(() => createSecretBox(""), /base64 of 32 random bytes/);
  assert.throws(() => createSecretBox("not base64 at all!"), /base64 of 32 random bytes/);
  assert.throws(() => createSecretBox(randomBytes(16).toString("base64")), /exactly 32 bytes, not 16/);
  assert.throws(() => createSecretBox(randomBytes(33).toString("base64")), /exactly 32 bytes, not 33/);
});
