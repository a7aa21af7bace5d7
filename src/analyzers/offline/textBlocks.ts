/**
 * Splits marked-up text (markdown, or the markdown-like text the HTML and DOCX readers produce)
 * into one page of paragraphs: blocks are separated by blank lines, "#" lines are headings (the
 * first top-level one is the title). Markup is not text: list markers and emphasis (`**x**`,
 * `__x__`, `*x*`) are dropped as the heading marks are, outside code fences. Text documents have
 * no positions.
 */
import type { ExtractedDocument, ExtractedLine, ExtractedParagraph } from "./extractedDocument.js";

export function textToDocument(text: string, options: { headings: boolean }): ExtractedDocument {
  const paragraphs: ExtractedParagraph[] = [];
  let sawTitle = false;
  let inFence = false;
  let block: string[] = [];
  const flush = () => {
    if (block.length) paragraphs.push({ lines: block.map(toLine).filter((line) => line.words.length > 0) });
    block = [];
  };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s+$/, "");
    if (options.headings && /^\s{0,3}(```|~~~)/.test(line)) inFence = !inFence;
    const heading = options.headings && !inFence ? /^\s{0,3}(#{1,6})\s+(.*?)(\s+#+)?$/.exec(line) : null;
    if (heading) {
      flush();
      const level = heading[1].length;
      const role = level === 1 && !sawTitle ? "title" : "sectionHeading";
      if (role === "title") sawTitle = true;
      const headingLine = toLine(stripInlineMarkup(heading[2]));
      if (headingLine.words.length) paragraphs.push({ lines: [headingLine], role, headingLevel: level });
    } else if (line.trim() === "" && !inFence) {
      flush();
    } else {
      block.push(options.headings && !inFence ? stripInlineMarkup(line) : line);
    }
  }
  flush();
  return { pages: [{ pageNumber: 1, angle: 0, paragraphs: paragraphs.filter((p) => p.lines.length > 0) }] };
}

function toLine(text: string): ExtractedLine {
  return { words: text.split(/\s+/).filter(Boolean).map((word) => ({ text: word, confidence: 1 })) };
}

const LIST_MARKER = /^(\s*)(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?/;
const STRONG = /(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g;
// Single-star emphasis only: a single underscore is too common inside words (snake_case).
const EMPHASIS = /(?<![*\w])\*(?=[^\s*])([^*]*?[^\s*])\*(?![*\w])/g;

/** A markdown line's text: without its list marker (and task box) and emphasis marks. */
export function stripInlineMarkup(line: string): string {
  return line.replace(LIST_MARKER, "$1").replace(STRONG, "$2").replace(EMPHASIS, "$1");
}
