import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LiveBlock } from "../../cli/liveBlock.js";

/** A terminal (or not) that records what is written to it. */
function screen(isTTY: boolean, columns = 80) {
  const written: string[] = [];
  return { written, stream: { isTTY, columns, write: (text: string) => (written.push(text), true) } as unknown as NodeJS.WriteStream };
}

describe("--watch output (LiveBlock)", () => {
  test("on a terminal each block replaces the last: back to its first row, cleared, then the new one", () => {
    const { written, stream } = screen(true, 20);
    const block = new LiveBlock(stream);
    block.show("one\ntwo\n");
    block.show("one\ntwo\n");
    // The second line wraps once at 20 columns: three rows to go back over.
    block.show(`three\n${"x".repeat(25)}\n`);
    block.show("four\n");
    assert.deepEqual(written, ["one\ntwo\n", "\x1b[2F\x1b[J", `three\n${"x".repeat(25)}\n`, "\x1b[3F\x1b[J", "four\n"]);
  });

  test("off a terminal every changed block follows the last, unchanged ones are not repeated", () => {
    const { written, stream } = screen(false);
    const block = new LiveBlock(stream);
    block.show("a\n");
    block.show("a\n");
    block.show("b\n");
    assert.deepEqual(written, ["a\n", "b\n"]);
  });
});
