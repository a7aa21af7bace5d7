/**
 * The most text one document may hold. Building a result costs about 100 bytes of memory per
 * character of text (word objects, spans, the `.ocr.json` string and its upload buffer), so the
 * byte limit alone (hundreds of MB) would let one plain-text document take gigabytes; this limit
 * keeps one document's share of an instance bounded. Counted in UTF-16 units, as JavaScript does.
 */
import { AnalyzerError } from "../analyzer.js";
import type { ExtractedDocument } from "./extractedDocument.js";

/** About 1,500 pages of dense text; a result of this size peaks near 350 MB (npm run bench). */
export const DEFAULT_MAX_TEXT_CHARACTERS = 3_000_000;

export function textTooLarge(limit: number, found?: number): AnalyzerError {
  const size = found === undefined ? "more than" : `${found} characters of text;`;
  return new AnalyzerError(
    "ContentTooLarge",
    `The document holds ${size} ${found === undefined ? `${limit} characters of text; the` : "the"} limit is ${limit} characters per document (DOCBATCH_MAX_TEXT_CHARACTERS). Split it into smaller documents.`,
  );
}

/** Throws ContentTooLarge when the extracted words (with one separator each) exceed the limit. */
export function refuseTextBeyond(document: ExtractedDocument, limit: number): void {
  let characters = 0;
  for (const page of document.pages) {
    for (const paragraph of page.paragraphs) {
      for (const line of paragraph.lines) {
        for (const word of line.words) characters += word.text.length + 1;
      }
    }
    if (characters > limit) throw textTooLarge(limit);
  }
}
