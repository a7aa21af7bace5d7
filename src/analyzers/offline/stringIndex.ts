import type { DocumentSpan, StringIndexType } from "../analyzeResult.js";

/**
 * Converts spans computed in UTF-16 code units (JavaScript string offsets) to the unit the
 * caller asked for: grapheme clusters (`textElements`, via Intl.Segmenter), Unicode code points,
 * or UTF-16 code units unchanged. Building it takes time and memory linear in the content
 * (5 bytes per UTF-16 unit), whatever its length.
 */
export class StringIndexConverter {
  /** unitAt[i] = number of units before UTF-16 offset i, for offsets on a unit boundary. */
  private readonly unitAt: Int32Array | undefined;
  /** True where a UTF-16 offset is a unit boundary. */
  private readonly boundary: Uint8Array | undefined;

  constructor(
    content: string,
    readonly type: StringIndexType,
  ) {
    if (type === "utf16CodeUnit") return;
    const unitAt = new Int32Array(content.length + 1);
    const boundary = new Uint8Array(content.length + 1);
    const mark = (offset: number) => {
      boundary[offset] = 1;
    };
    if (type === "unicodeCodePoint") {
      for (let i = 0; i < content.length; i += (content.codePointAt(i) ?? 0) > 0xffff ? 2 : 1) mark(i);
    } else {
      forEachGraphemeStart(content, mark);
    }
    mark(content.length);
    let units = 0;
    for (let i = 0; i <= content.length; i++) {
      if (boundary[i]) unitAt[i] = units++;
      else unitAt[i] = units - 1;
    }
    this.unitAt = unitAt;
    this.boundary = boundary;
  }

  /** Offset in the target unit; an offset inside a unit rounds down (start) or up (end). */
  offset(utf16Offset: number, round: "down" | "up" = "down"): number {
    if (!this.unitAt || !this.boundary) return utf16Offset;
    const unit = this.unitAt[utf16Offset];
    return round === "up" && !this.boundary[utf16Offset] ? unit + 1 : unit;
  }

  span(span: DocumentSpan): DocumentSpan {
    if (this.type === "utf16CodeUnit") return span;
    const start = this.offset(span.offset, "down");
    const end = this.offset(span.offset + span.length, "up");
    return { offset: start, length: end - start };
  }
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Where each grapheme cluster of `content` starts (UTF-16 offsets); see forEachGraphemeStart. */
export function graphemeStarts(content: string): number[] {
  const starts: number[] = [];
  forEachGraphemeStart(content, (offset) => {
    starts.push(offset);
  });
  return starts;
}

/**
 * Calls `visit` with where each grapheme cluster of `content` starts (UTF-16 offsets, ascending),
 * as Intl.Segmenter says, but asking it only about the stretches around non-ASCII characters:
 * it is slow (most of the time of building a result), and between two ASCII characters there is
 * always a break except inside CR LF, since every rule that joins characters (marks, ZWJ, emoji,
 * regional indicators, prepend, conjuncts) involves a non-ASCII one. Nothing is collected, so a
 * text of any length costs no memory here.
 */
export function forEachGraphemeStart(content: string, visit: (offset: number) => void): void {
  const length = content.length;
  const certainBreak = (k: number) => {
    if (k >= length) return true;
    const before = content.charCodeAt(k - 1);
    const after = content.charCodeAt(k);
    return before < 0x80 && after < 0x80 && !(before === 13 && after === 10);
  };
  for (let start = 0; start < length; ) {
    let end = start + 1;
    while (!certainBreak(end)) end++;
    if (end === start + 1) visit(start);
    else for (const { index } of segmenter.segment(content.slice(start, end))) visit(start + index);
    start = end;
  }
}
