import type { ExtractedDocument, ExtractedParagraph } from "./extractedDocument.js";

/**
 * Gives paragraphs of positioned documents (PDF, OCR) the roles the layout model reports, from
 * text size alone: the body size is the size most characters are set in; the largest short
 * paragraph on the first page, well above it, is the title; other short paragraphs clearly
 * larger than the body are section headings. Formats that know their headings keep them.
 */
export function assignRolesBySize(document: ExtractedDocument): void {
  const paragraphs = document.pages.flatMap((page) => page.paragraphs);
  if (paragraphs.some((paragraph) => paragraph.role) || paragraphs.length < 2) return;
  const weights = new Map<number, number>();
  for (const paragraph of paragraphs) {
    if (!paragraph.textSize) continue;
    const size = Math.round(paragraph.textSize * 200) / 200;
    weights.set(size, (weights.get(size) ?? 0) + characters(paragraph));
  }
  let body = 0;
  let bodyWeight = -1;
  for (const [size, weight] of weights) if (weight > bodyWeight) [body, bodyWeight] = [size, weight];
  if (!body) return;
  const short = (paragraph: ExtractedParagraph) => paragraph.lines.length <= 2 && characters(paragraph) <= 120;

  const firstPage = document.pages[0]?.paragraphs ?? [];
  let title: ExtractedParagraph | undefined;
  for (const paragraph of firstPage) {
    if (short(paragraph) && (paragraph.textSize ?? 0) >= 1.5 * body && (!title || paragraph.textSize! > title.textSize!)) title = paragraph;
  }
  if (title) {
    title.role = "title";
    title.headingLevel = 1;
  }
  for (const paragraph of paragraphs) {
    if (paragraph !== title && short(paragraph) && (paragraph.textSize ?? 0) >= 1.3 * body) {
      paragraph.role = "sectionHeading";
      paragraph.headingLevel = 2;
    }
  }
}

function characters(paragraph: ExtractedParagraph): number {
  return paragraph.lines.reduce((sum, line) => sum + line.words.reduce((s, word) => s + word.text.length + 1, 0), 0);
}
