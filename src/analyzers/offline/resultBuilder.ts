/**
 * Turns an extracted document into the service's `AnalyzeResult`: one `content` string, and
 * spans of pages, lines, words and paragraphs into it, in the requested string index unit.
 *
 * Text content follows the read model: lines separated by "\n", pages by "\n". Markdown
 * content follows the layout model: paragraphs separated by a blank line, headings as "#"
 * lines, pages separated by a `<!-- PageBreak -->` comment.
 */
import {
  ANALYZE_API_VERSION,
  type AnalyzeResult,
  type ContentFormat,
  type DocumentLine,
  type DocumentPage,
  type DocumentParagraph,
  type DocumentSpan,
  type DocumentWord,
  type StringIndexType,
  UNREADABLE_PAGE_WARNING,
} from "../analyzeResult.js";
import { boundingPolygon, roundPolygon, type ExtractedDocument, type ExtractedParagraph } from "./extractedDocument.js";
import { StringIndexConverter } from "./stringIndex.js";

export interface BuildOptions {
  modelId: string;
  stringIndexType: StringIndexType;
  outputContentFormat: ContentFormat;
  /** Layout models report paragraph roles. */
  withRoles: boolean;
}

export function buildAnalyzeResult(document: ExtractedDocument, options: BuildOptions): AnalyzeResult {
  const markdown = options.outputContentFormat === "markdown";
  let content = "";
  const pages: DocumentPage[] = [];
  const paragraphs: DocumentParagraph[] = [];

  for (const [pageIndex, page] of document.pages.entries()) {
    if (pageIndex > 0) content += markdown ? "\n\n<!-- PageBreak -->\n\n" : "\n";
    const pageStart = content.length;
    const words: DocumentWord[] = [];
    const lines: DocumentLine[] = [];
    for (const [paragraphIndex, paragraph] of page.paragraphs.entries()) {
      if (paragraphIndex > 0) content += markdown ? "\n\n" : "\n";
      const paragraphStart = content.length;
      if (markdown) content += markdownPrefix(paragraph);
      for (const [lineIndex, line] of paragraph.lines.entries()) {
        if (lineIndex > 0) content += "\n";
        const lineStart = content.length;
        for (const [wordIndex, word] of line.words.entries()) {
          if (wordIndex > 0) content += " ";
          // Words are not markdown-escaped, so every word span reads back the word itself.
          const text = word.text;
          words.push({
            content: word.text,
            ...(word.polygon ? { polygon: roundPolygon(word.polygon) } : {}),
            confidence: round3(word.confidence),
            span: { offset: content.length, length: text.length },
          });
          content += text;
        }
        lines.push({
          content: line.words.map((word) => word.text).join(" "),
          ...(line.polygon ? { polygon: roundPolygon(line.polygon) } : {}),
          spans: [{ offset: lineStart, length: content.length - lineStart }],
        });
      }
      const polygon = boundingPolygon(paragraph.lines.map((line) => line.polygon));
      paragraphs.push({
        ...(options.withRoles && paragraph.role ? { role: paragraph.role } : {}),
        content: content.slice(paragraphStart),
        ...(polygon ? { boundingRegions: [{ pageNumber: page.pageNumber, polygon: roundPolygon(polygon) }] } : {}),
        spans: [{ offset: paragraphStart, length: content.length - paragraphStart }],
      });
    }
    pages.push({
      pageNumber: page.pageNumber,
      angle: page.angle ?? 0,
      ...(page.width !== undefined ? { width: round4(page.width), height: round4(page.height ?? 0), unit: page.unit } : {}),
      spans: [{ offset: pageStart, length: content.length - pageStart }],
      words,
      lines,
    });
  }

  const converter = new StringIndexConverter(content, options.stringIndexType);
  const convert = (span: DocumentSpan) => converter.span(span);
  for (const page of pages) {
    page.spans = page.spans.map(convert);
    for (const word of page.words ?? []) word.span = convert(word.span);
    for (const line of page.lines ?? []) line.spans = line.spans.map(convert);
  }
  for (const paragraph of paragraphs) paragraph.spans = paragraph.spans.map(convert);

  const warnings = document.pages.flatMap((page, index) =>
    page.unreadable
      ? [{ code: UNREADABLE_PAGE_WARNING, message: `Page ${page.pageNumber} could not be read reliably: ${page.unreadable}. Its text may be missing or wrong.`, target: `/pages/${index}` }]
      : [],
  );

  return {
    apiVersion: ANALYZE_API_VERSION,
    modelId: options.modelId,
    stringIndexType: options.stringIndexType,
    content,
    contentFormat: options.outputContentFormat,
    pages,
    paragraphs,
    ...(warnings.length ? { warnings } : {}),
  };
}

function markdownPrefix(paragraph: ExtractedParagraph): string {
  if (paragraph.role === "title") return "# ";
  if (paragraph.role === "sectionHeading") return `${"#".repeat(Math.min(6, Math.max(2, paragraph.headingLevel ?? 2)))} `;
  return "";
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;
const round4 = (value: number) => Math.round(value * 10_000) / 10_000;
