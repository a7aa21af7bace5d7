import { rectanglePolygon, type ExtractedParagraph } from "./extractedDocument.js";
import type { OcrBox, OcrPage } from "./ocrPool.js";

/** OCR paragraphs in the page's unit: `scale` converts image pixels to it (1 for images). */
export function ocrPageToParagraphs(page: OcrPage, scale: number): ExtractedParagraph[] {
  const polygon = (box: OcrBox) => rectanglePolygon(box.x0 * scale, box.y0 * scale, box.x1 * scale, box.y1 * scale);
  return page.paragraphs.map((paragraph) => {
    // Text size: the median line height, a stand-in for the font size.
    const heights = paragraph.lines.map((line) => line.box.y1 - line.box.y0).sort((a, b) => a - b);
    return {
      lines: paragraph.lines.map((line) => ({
        words: line.words.map((word) => ({ text: word.text, polygon: polygon(word.box), confidence: word.confidence })),
        polygon: polygon(line.box),
      })),
      textSize: heights[Math.floor(heights.length / 2)] * scale,
    };
  });
}
