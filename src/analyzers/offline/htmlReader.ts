import { convert, type FormatCallback } from "html-to-text";
import type { ExtractedDocument } from "./extractedDocument.js";
import { textToDocument } from "./textBlocks.js";

/** Headings become "#" lines so that textToDocument can give them their roles. */
const heading =
  (level: number): FormatCallback =>
  (element, walk, builder) => {
    builder.openBlock({ leadingLineBreaks: 2 });
    builder.addInline(`${"#".repeat(level)} `);
    walk(element.children, builder);
    builder.closeBlock({ trailingLineBreaks: 2 });
  };

/** HTML to one page of paragraphs (scripts, styles and the head are dropped). */
export function readHtml(html: string): ExtractedDocument {
  const text = convert(html, {
    wordwrap: false,
    formatters: Object.fromEntries([1, 2, 3, 4, 5, 6].map((level) => [`heading${level}`, heading(level)])),
    selectors: [
      ...[1, 2, 3, 4, 5, 6].map((level) => ({ selector: `h${level}`, format: `heading${level}` })),
      { selector: "a", options: { ignoreHref: true } },
      { selector: "img", format: "skip" },
      { selector: "table", format: "dataTable" },
    ],
  });
  return textToDocument(text, { headings: true });
}
