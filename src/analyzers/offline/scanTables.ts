/**
 * Ruled and borderless tables on an OCR'd page: the rules come from the scan's pixels
 * (imageRules.ts), the words from OCR, and the grid from the same code as for PDF text layers.
 * Only pages read as given and straight: a turned or skewed page's rules would not line up with
 * its words.
 */
import type { ExtractedParagraph, ExtractedTable } from "./extractedDocument.js";
import type { Rule } from "./pdfRules.js";
import { findPageTables } from "./pageTables.js";
import type { UprightReading } from "./uprightOcr.js";

export interface ScanGeometry {
  /** Converts the image's pixels to the page's unit. */
  unitPerPixel: number;
  /** Page units per inch (1 for inches, the resolution for pixels). */
  unitsPerInch: number;
}

export function tablesOfScan(
  pageNumber: number,
  paragraphs: ExtractedParagraph[],
  reading: UprightReading,
  pixelRules: readonly Rule[],
  geometry: ScanGeometry,
): { paragraphs: ExtractedParagraph[]; tables: ExtractedTable[] } {
  if (reading.turn !== 0 || Math.abs(reading.angle) >= 0.5 || reading.unreadable || paragraphs.length === 0) return { paragraphs, tables: [] };
  const scale = geometry.unitPerPixel;
  const rules = pixelRules.map((rule) => ({ ...rule, x0: rule.x0 * scale, y0: rule.y0 * scale, x1: rule.x1 * scale, y1: rule.y1 * scale }));
  return findPageTables(pageNumber, paragraphs, rules, { unitsPerInch: geometry.unitsPerInch });
}
