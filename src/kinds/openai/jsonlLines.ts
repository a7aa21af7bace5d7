/** One line of a JSONL file as read: where its bytes are, for reading it again later by range. */
export interface JsonlLine {
  /** 1-based, as a text editor counts (blank lines included). */
  line: number;
  /** Byte offset of the line's first byte in the file. */
  offset: number;
  /** The line's bytes without its `\n` (or `\r\n`); empty when `tooLong`. */
  bytes: Buffer;
  /** Its length in bytes, also when `tooLong`. */
  length: number;
  /** Longer than `maxLineBytes`: its bytes were not kept. */
  tooLong: boolean;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Splits a byte stream into lines without holding more than one line (and one chunk): a line's
 * pieces are joined once, when its end arrives, and a line past `maxLineBytes` is counted, not
 * kept. A UTF-8 byte order mark at the start is skipped. Lines are yielded as they complete.
 */
export async function* jsonlLines(stream: AsyncIterable<Uint8Array>, options: { maxLineBytes: number }): AsyncGenerator<JsonlLine> {
  let pieces: Buffer[] = [];
  let pending = 0; // bytes of the current line so far
  let lineStart = 0; // file offset of the current line
  let position = 0; // file offset of the current chunk's first byte
  let line = 0;

  const finish = (end: number): JsonlLine => {
    line++;
    let length = pending;
    const tooLong = length > options.maxLineBytes;
    let bytes = tooLong ? Buffer.alloc(0) : pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, pending);
    if (!tooLong && bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) {
      bytes = bytes.subarray(0, bytes.length - 1);
      length--;
    }
    let offset = lineStart;
    if (line === 1 && bytes.length >= 3 && bytes.subarray(0, 3).equals(BOM)) {
      bytes = bytes.subarray(3);
      offset += 3;
      length -= 3;
    }
    const result = { line, offset, bytes, length, tooLong };
    pieces = [];
    pending = 0;
    lineStart = end + 1;
    return result;
  };

  for await (const raw of stream) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let from = 0;
    for (;;) {
      const at = chunk.indexOf(NEWLINE, from);
      const end = at < 0 ? chunk.length : at;
      if (end > from) {
        // Keep at most maxLineBytes + 1 of a line: enough to know it is too long.
        if (pending <= options.maxLineBytes) pieces.push(chunk.subarray(from, Math.min(end, from + options.maxLineBytes + 1 - pending)));
        pending += end - from;
      }
      if (at < 0) break;
      yield finish(position + at);
      from = at + 1;
    }
    position += chunk.length;
  }
  if (pending > 0) yield finish(position);
}
