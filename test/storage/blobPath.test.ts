import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blobPathProblem } from "../../src/storage/blobPath.js";

describe("blob path checks", () => {
  const refused = ["..", ".", "../docs/", "a/../b", "a/./b", "a/..", "%2e%2e/x", "%2E%2e%2Fx", "a%2f..%2fb", "%252e%252e/x", "..\\x", "a\\..\\b", "a%5c..", "x\u0000", "docs/\u001b[31m", "a\nb", "\u007f"];
  for (const path of refused) {
    it(`refuses ${JSON.stringify(path)}`, () => assert.ok(blobPathProblem(path), path));
  }
  const accepted = ["", "docs/", "docs/a.pdf", "a..b/c", "...", "..a/b", ".hidden/x", "x.", "a b/ü/📄.txt", "100%done", "a\\b.txt"];
  for (const path of accepted) {
    it(`accepts ${JSON.stringify(path)}`, () => assert.equal(blobPathProblem(path), undefined));
  }
  it("says which control character and where", () => {
    assert.match(blobPathProblem("ab\u0007")!, /U\+0007 at position 2/);
  });
});
