import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { AnalyzerError } from "../../src/analyzers/analyzer.js";
import type { StringIndexType } from "../../src/analyzers/analyzeResult.js";
import { createOfflineAnalyzer } from "../../src/analyzers/offline/offlineAnalyzer.js";
import { selectPages } from "../../src/analyzers/offline/pageSelection.js";
import {
  makeDocx,
  makeEmptyDocument,
  makeHtml,
  makeMarkdown,
  makePlainText,
  makeUnsupportedBytes,
  paragraphsOf,
  PLAIN_STRUCTURED_TEXT,
  TRICKY_TEXT,
  type StructuredText,
} from "../support/documents.js";
import { options, spanText } from "./helpers.js";

const analyzer = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 30_000 });
after(() => analyzer.close());

const formats: [string, (text: StructuredText) => Uint8Array | Promise<Uint8Array>, boolean][] = [
  ["DOCX", makeDocx, true],
  ["HTML", makeHtml, true],
  ["Markdown", makeMarkdown, true],
  ["plain text", makePlainText, false],
];
const indexTypes: StringIndexType[] = ["textElements", "unicodeCodePoint", "utf16CodeUnit"];

describe("offline reader: text documents", () => {
  for (const [format, make, hasHeadings] of formats) {
    it(`${format}: one page of paragraphs${hasHeadings ? " with title and heading roles" : ""}`, async () => {
      const bytes = await make(PLAIN_STRUCTURED_TEXT);
      const result = await analyzer.analyze({ modelId: "prebuilt-layout", bytes, name: "no-extension", options: options() });
      assert.equal(result.pages.length, 1);
      assert.equal(result.pages[0].pageNumber, 1);
      assert.deepEqual(result.paragraphs!.map((p) => p.content), paragraphsOf(PLAIN_STRUCTURED_TEXT));
      assert.equal(result.content, paragraphsOf(PLAIN_STRUCTURED_TEXT).join("\n"));
      const roles = result.paragraphs!.map((p) => p.role);
      if (hasHeadings) assert.deepEqual(roles, ["title", "sectionHeading", undefined, undefined, "sectionHeading", undefined, undefined]);
      else assert.ok(roles.every((role) => role === undefined));
      for (const paragraph of result.paragraphs!) assert.equal(paragraph.boundingRegions, undefined);
    });

    it(`${format}: spans index the right text under every string index type (non-BMP, ZWJ, combining marks)`, async () => {
      const bytes = await make(TRICKY_TEXT);
      for (const stringIndexType of indexTypes) {
        for (const outputContentFormat of ["text", "markdown"] as const) {
          const result = await analyzer.analyze({ modelId: "prebuilt-layout", bytes, name: "doc", options: options({ stringIndexType, outputContentFormat }) });
          assert.equal(result.stringIndexType, stringIndexType);
          const page = result.pages[0];
          assert.equal(spanText(result.content, page.spans[0], stringIndexType), result.content);
          for (const word of page.words!) assert.equal(spanText(result.content, word.span, stringIndexType), word.content);
          for (const line of page.lines!) assert.equal(spanText(result.content, line.spans[0], stringIndexType), line.content);
          for (const paragraph of result.paragraphs!) assert.equal(spanText(result.content, paragraph.spans[0], stringIndexType), paragraph.content);
          assert.ok(page.words!.some((word) => word.content === "👨‍👩‍👧"));
          assert.ok(page.words!.some((word) => word.content === "cafe\u0301"));
        }
      }
    });
  }

  it("markdown output: headings as # lines, paragraphs separated by blank lines", async () => {
    const result = await analyzer.analyze({ modelId: "prebuilt-layout", bytes: await makeDocx(), name: "doc.docx", options: options({ outputContentFormat: "markdown" }) });
    assert.equal(result.contentFormat, "markdown");
    assert.ok(result.content.startsWith(`# ${PLAIN_STRUCTURED_TEXT.title}\n\n## ${PLAIN_STRUCTURED_TEXT.sections[0].heading}\n\n${PLAIN_STRUCTURED_TEXT.sections[0].paragraphs[0]}\n\n`), result.content);
  });

  it("prebuilt-read reports no roles", async () => {
    const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: makeMarkdown(), name: "doc.md", options: options() });
    assert.ok(result.paragraphs!.every((p) => p.role === undefined));
  });

  it("a text document is page 1: pages=2 selects nothing", async () => {
    await assert.rejects(
      analyzer.analyze({ modelId: "prebuilt-read", bytes: makePlainText(), name: "a.txt", options: options({ pages: "2" }) }),
      (error: unknown) => error instanceof AnalyzerError && error.code === "InvalidPages",
    );
  });
});

describe("offline reader: content checks", () => {
  const failsWith = (code: string) => (error: unknown) => error instanceof AnalyzerError && error.code === code;
  it("empty → InvalidContent", async () => {
    await assert.rejects(analyzer.analyze({ modelId: "prebuilt-read", bytes: makeEmptyDocument(), name: "a.pdf", options: options() }), failsWith("InvalidContent"));
  });
  it("whitespace-only text → InvalidContent", async () => {
    await assert.rejects(analyzer.analyze({ modelId: "prebuilt-read", bytes: new TextEncoder().encode(" \n\n\t "), name: "a.txt", options: options() }), failsWith("InvalidContent"));
  });
  it("unknown binary → UnsupportedContent, whatever the name says", async () => {
    await assert.rejects(analyzer.analyze({ modelId: "prebuilt-read", bytes: makeUnsupportedBytes(), name: "a.pdf", options: options() }), failsWith("UnsupportedContent"));
    await assert.rejects(analyzer.analyze({ modelId: "prebuilt-read", bytes: makeUnsupportedBytes("zip"), name: "a.docx", options: options() }), failsWith("UnsupportedContent"));
  });
  it("a model the offline reader does not serve → ModelNotFound", async () => {
    await assert.rejects(analyzer.analyze({ modelId: "prebuilt-invoice", bytes: makePlainText(), name: "a.txt", options: options() }), failsWith("ModelNotFound"));
  });
});

describe("page selection", () => {
  it("parses lists and ranges, open ranges, and clips to the document", () => {
    assert.deepEqual(selectPages(undefined, 3), [1, 2, 3]);
    assert.deepEqual(selectPages("1-3,5", 10), [1, 2, 3, 5]);
    assert.deepEqual(selectPages(" 5 , 2-3 ,2", 10), [2, 3, 5]);
    assert.deepEqual(selectPages("4-", 6), [4, 5, 6]);
    assert.deepEqual(selectPages("2-9", 3), [2, 3]);
    for (const bad of ["0", "3-2", "x", "1;2", "-3", "1,,2", "7"]) {
      assert.throws(() => selectPages(bad, 5), (error: unknown) => error instanceof AnalyzerError && error.code === "InvalidPages", bad);
    }
  });
});

describe("offline reader: text encodings, markup and size", () => {
  const read = (bytes: Uint8Array, model = "prebuilt-read") => analyzer.analyze({ modelId: model, bytes, name: "doc", options: options() });
  const failsWith = (code: string, message?: RegExp) => (error: unknown) =>
    error instanceof AnalyzerError && error.code === code && (!message || message.test(error.message));

  it("UTF-16 with a byte order mark (LE and BE) is text, not audio", async () => {
    const text = "Café menu\n\nÜber naïve façades, résumé 📄 ok";
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    const be = Buffer.from(le.subarray(2)).swap16();
    for (const bytes of [le, Buffer.concat([Buffer.from([0xfe, 0xff]), be])]) {
      const result = await read(bytes);
      assert.equal(result.content, "Café menu\nÜber naïve façades, résumé 📄 ok");
    }
  });

  it("Latin-1 (Windows-1252) text is decoded, not refused", async () => {
    const result = await read(Buffer.from("Caf\xe9 cr\xe8me br\xfbl\xe9e\r\nprice 5\x80", "latin1"));
    assert.equal(result.content, "Café crème brûlée\nprice 5€");
  });

  it("binary data is still refused", async () => {
    const noise = Buffer.alloc(4096);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 131 + 7) % 256;
    await assert.rejects(read(noise), failsWith("UnsupportedContent"));
  });

  it("Markdown loses emphasis marks and list markers, as it loses '#'", async () => {
    const md = "# Title\n\nSome **bold** and __strong__ and *slanted* words, 2 * 3 and snake_case.\n\n- first item\n* second *item*\n1. numbered\n\n```\n**kept in code**\n```\n";
    const result = await read(Buffer.from(md, "utf8"), "prebuilt-layout");
    assert.equal(
      result.content,
      "Title\nSome bold and strong and slanted words, 2 * 3 and snake_case.\nfirst item\nsecond item\nnumbered\n```\n**kept in code**\n```",
    );
  });

  it("text past the character limit fails with ContentTooLarge, before decoding when its size tells", async () => {
    const limited = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 30_000, maxTextCharacters: 1000 });
    try {
      const analyze = (bytes: Uint8Array) => limited.analyze({ modelId: "prebuilt-read", bytes, name: "doc", options: options() });
      const tooLarge = failsWith("ContentTooLarge", /1000 characters per document \(DOCBATCH_MAX_TEXT_CHARACTERS\)/);
      await assert.rejects(analyze(Buffer.from("word ".repeat(1000))), tooLarge);
      await assert.rejects(analyze(Buffer.from("wörd ".repeat(250))), tooLarge, "1,500 bytes, 1,250 characters");
      await assert.rejects(analyze(makeHtml({ title: "Long", sections: [{ heading: "Body", paragraphs: ["many words here ".repeat(100)] }] })), tooLarge);
      assert.match((await analyze(Buffer.from("word ".repeat(150)))).content, /^word word/);
    } finally {
      await limited.close();
    }
  });
});
