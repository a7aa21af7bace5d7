import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { countedStream } from "../../src/storage/countedStream.js";

describe("countedStream", () => {
  test("an upload refused before its sink listens neither crashes the process nor leaves the sink waiting", async () => {
    const part = new PassThrough();
    const counted = countedStream(part);
    part.write(Buffer.alloc(10));
    const refusal = new Error("413");
    // No 'error' listener of the sink yet: an unhandled 'error' would end the test process.
    part.destroy(refusal);
    await new Promise((resolve) => setImmediate(resolve));
    assert.throws(() => counted.throwIfFailed(), (error: unknown) => error === refusal);
  });

  test("counts what flows through and stays usable when nothing failed", async () => {
    const part = new PassThrough();
    const counted = countedStream(part);
    part.end(Buffer.alloc(1234));
    counted.throwIfFailed();
    let seen = 0;
    for await (const chunk of counted.body) seen += (chunk as Buffer).length;
    assert.equal(seen, 1234);
    assert.equal(counted.bytes(), 1234);
  });
});
