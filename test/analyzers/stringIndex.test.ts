import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { graphemeStarts, StringIndexConverter } from "../../src/analyzers/offline/stringIndex.js";
import { PLAIN_STRUCTURED_TEXT, TRICKY_TEXT, paragraphsOf } from "../support/documents.js";

/** The reference: Intl.Segmenter over the whole string. */
const segmenterStarts = (text: string) => Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text), (s) => s.index);

describe("string index conversion", () => {
  it("finds the same grapheme clusters as Intl.Segmenter over the whole text", () => {
    const samples = [
      "",
      "a",
      "plain ASCII text\nwith lines\r\nand CR LF\r\n\r\rx",
      "e\u0301 a\u0308\u0301 n\u0303",
      "Family 👨‍👩‍👧 and 🐈 and 𝒳 and flags 🇫🇷🇩🇪🇺 end",
      "👍🏽 skin tone, #️⃣ keycap, 1\uFE0F\u20E3",
      "क्षि Devanagari conjunct, ফ্র Bengali, 한국어 Hangul",
      "\u0600\u0661 prepend, a\u200Db joiner",
      ...paragraphsOf(TRICKY_TEXT),
      paragraphsOf(TRICKY_TEXT).join("\n\n"),
      paragraphsOf(PLAIN_STRUCTURED_TEXT).join("\r\n"),
    ];
    for (const text of samples) assert.deepEqual(graphemeStarts(text), segmenterStarts(text), JSON.stringify(text));
  });

  it("converts spans to text elements, code points and UTF-16 units", () => {
    const content = "Cafe\u0301 📄 ok";
    const span = { offset: 6, length: 2 }; // 📄: one grapheme, one code point, two UTF-16 units
    assert.deepEqual(new StringIndexConverter(content, "textElements").span(span), { offset: 5, length: 1 });
    assert.deepEqual(new StringIndexConverter(content, "unicodeCodePoint").span(span), { offset: 6, length: 1 });
    assert.deepEqual(new StringIndexConverter(content, "utf16CodeUnit").span(span), span);
  });
});

describe("string index conversion of long texts", () => {
  it("converts spans of a text with more grapheme clusters than an argument list holds", () => {
    const content = "e\u0301 📄 plain text ".repeat(40_000);
    const converter = new StringIndexConverter(content, "textElements");
    const unitsPerRepeat = Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment("e\u0301 📄 plain text ")).length;
    const repeat = "e\u0301 📄 plain text ".length;
    assert.deepEqual(converter.span({ offset: repeat * 39_999, length: repeat }), { offset: unitsPerRepeat * 39_999, length: unitsPerRepeat });
    const codePoints = new StringIndexConverter(content, "unicodeCodePoint");
    assert.deepEqual(codePoints.span({ offset: 0, length: content.length }), { offset: 0, length: [...content].length });
  });
});
