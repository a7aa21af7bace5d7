import type { ExtractedDocument, ExtractedParagraph } from "./extractedDocument.js";

/**
 * Gives paragraphs of positioned documents (PDF, OCR) the roles the layout model reports, from
 * text size alone: the body size is the size most characters are set in; the largest short
 * paragraph on the first page, well above it, is the title; other short paragraphs clearly
 * larger than the body are section headings. Formats that know their headings keep them.
 */
export function assignRolesBySize(document: ExtractedDocument): void {
  const inTable = tableParagraphs(document);
  const paragraphs = document.pages.flatMap((page) => page.paragraphs).filter((paragraph) => !inTable.has(paragraph));
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

  const firstPage = (document.pages[0]?.paragraphs ?? []).filter((paragraph) => !inTable.has(paragraph));
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

function tableParagraphs(document: ExtractedDocument): Set<ExtractedParagraph> {
  return new Set((document.tables ?? []).flatMap((table) => table.cells.flatMap((cell) => cell.paragraphs)));
}

/** Top and bottom share of a page where running heads and page numbers sit. */
const MARGIN_BAND = 0.1;
const PAGE_NUMBER = /^(?:page\s+)?[-–(]?\s*\d{1,5}\s*[-–)]?(?:\s*(?:of|\/)\s*\d{1,5})?$/i;

/**
 * Running heads of positioned pages (PDF, scans): a short paragraph in a page's top or bottom
 * band is its `pageNumber` when it is a page number ("3", "Page 3 of 9", "- 3 -"), and its
 * `pageHeader` / `pageFooter` when the same text (numbers aside) sits in that band on at least
 * two pages. Overrides what text size suggested (a running head is not a heading).
 */
export function assignPageFurnitureRoles(document: ExtractedDocument): void {
  const inTable = tableParagraphs(document);
  const candidates: { paragraph: ExtractedParagraph; band: "top" | "bottom"; key: string; page: number }[] = [];
  for (const page of document.pages) {
    if (!page.height) continue;
    for (const paragraph of page.paragraphs) {
      if (inTable.has(paragraph) || paragraph.lines.length > 2) continue;
      const ys = paragraph.lines.flatMap((line) => (line.polygon ? line.polygon.filter((_, i) => i % 2 === 1) : []));
      if (ys.length === 0) continue;
      const band = Math.max(...ys) < page.height * MARGIN_BAND ? "top" : Math.min(...ys) > page.height * (1 - MARGIN_BAND) ? "bottom" : undefined;
      if (!band) continue;
      const text = paragraph.lines.map((line) => line.words.map((word) => word.text).join(" ")).join(" ");
      if (PAGE_NUMBER.test(text.trim())) {
        paragraph.role = "pageNumber";
        delete paragraph.headingLevel;
        continue;
      }
      candidates.push({ paragraph, band, key: `${band}:${text.toLowerCase().replace(/\d+/g, "#")}`, page: page.pageNumber });
    }
  }
  const pagesWith = new Map<string, Set<number>>();
  for (const candidate of candidates) pagesWith.set(candidate.key, (pagesWith.get(candidate.key) ?? new Set()).add(candidate.page));
  for (const candidate of candidates) {
    if ((pagesWith.get(candidate.key)?.size ?? 0) < 2) continue;
    candidate.paragraph.role = candidate.band === "top" ? "pageHeader" : "pageFooter";
    delete candidate.paragraph.headingLevel;
  }
}
