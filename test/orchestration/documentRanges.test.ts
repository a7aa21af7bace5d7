import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { allRanges, MAX_CHILDREN, splitRange, type DocumentSpan } from "../../src/orchestration/documentRanges.js";

function leaves(root: DocumentSpan, perLeaf: number): DocumentSpan[] {
  return [...allRanges(root, perLeaf)].filter((range) => !splitRange(range, perLeaf));
}

describe("document ranges", () => {
  test("a range that fits a leaf is not split", () => {
    assert.equal(splitRange({ first: 0, count: 100 }, 100), undefined);
    assert.deepEqual([...allRanges({ first: 0, count: 7 }, 100)], [{ first: 0, count: 7 }]);
  });

  test("leaves cover every document exactly once, in order, at every size", () => {
    for (const count of [1, 99, 100, 101, 250, 10_000, 10_001, 123_457]) {
      const found = leaves({ first: 0, count }, 100);
      let next = 0;
      for (const leaf of found) {
        assert.equal(leaf.first, next);
        assert.ok(leaf.count >= 1 && leaf.count <= 100);
        next += leaf.count;
      }
      assert.equal(next, count);
    }
  });

  test("no orchestration has more than MAX_CHILDREN children, and the tree stays shallow", () => {
    for (const count of [10_000, 100_000, 1_000_000]) {
      let depth = 0;
      const walk = (range: DocumentSpan, level: number) => {
        depth = Math.max(depth, level);
        const children = splitRange(range, 100);
        if (!children) return;
        assert.ok(children.length <= MAX_CHILDREN, `${children.length} children at ${count}`);
        for (const child of children) walk(child, level + 1);
      };
      walk({ first: 0, count }, 0);
      assert.ok(depth <= Math.ceil(Math.log(count / 100) / Math.log(MAX_CHILDREN)) + 1, `depth ${depth} at ${count}`);
    }
  });
});
