import type { ExtractedParagraph } from "./extractedDocument.js";
import type { OcrBox } from "./ocrPool.js";
import type { UprightReading } from "./uprightOcr.js";

/**
 * OCR paragraphs in the page's unit and orientation as given: boxes read on the upright image
 * are mapped back corner by corner (a word's polygon still starts at its own top-left, as the
 * text reads), then `scale` converts image pixels to the page's unit (1 for images).
 */
export function ocrPageToParagraphs(reading: UprightReading, scale: number): ExtractedParagraph[] {
  const polygon = (box: OcrBox) =>
    [
      reading.toGiven(box.x0, box.y0),
      reading.toGiven(box.x1, box.y0),
      reading.toGiven(box.x1, box.y1),
      reading.toGiven(box.x0, box.y1),
    ].flatMap(([x, y]) => [x * scale, y * scale]);
  return reading.page.paragraphs.map((paragraph) => {
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
