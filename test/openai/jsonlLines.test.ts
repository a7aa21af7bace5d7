import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonlLines } from "../../src/kinds/openai/jsonlLines.js";

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function collect(bytes: Buffer, size: number, maxLineBytes = 1024) {
  const lines = [];
  for await (const line of jsonlLines(chunks(bytes, size), { maxLineBytes })) lines.push({ line: line.line, offset: line.offset, length: line.length, text: line.bytes.toString("utf8"), tooLong: line.tooLong });
  return lines;
}

test("splits lines at every chunk size with byte offsets that read each line back, BOM and CRLF included", async () => {
  const text = '\uFEFF{"a":"ü"}\r\n\n{"b":2}\n{"c":"€€"}';
  const bytes = Buffer.from(text, "utf8");
  const expected = await collect(bytes, bytes.length);
  assert.deepEqual(
    expected.map((line) => line.text),
    ['{"a":"ü"}', "", '{"b":2}', '{"c":"€€"}'],
  );
  for (const line of expected) assert.equal(bytes.subarray(line.offset, line.offset + line.length).toString("utf8"), line.text);
  for (let size = 1; size <= bytes.length; size++) assert.deepEqual(await collect(bytes, size), expected, `chunks of ${size}`);
});

test("a line past the limit is counted, not kept, and the next line still reads", async () => {
  const long = "x".repeat(5000);
  const bytes = Buffer.from(`{"ok":1}\n${long}\n{"ok":2}\n`);
  const lines = await collect(bytes, 7, 100);
  assert.deepEqual(lines.map((line) => [line.tooLong, line.length, line.text]), [
    [false, 8, '{"ok":1}'],
    [true, 5000, ""],
    [false, 8, '{"ok":2}'],
  ]);
  assert.equal(lines[2]!.offset, 9 + 5001);
});
