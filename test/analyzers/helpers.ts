import type { AnalyzeOptions } from "../../src/analyzers/analyzer.js";
import type { AnalyzeResult, DocumentSpan, StringIndexType } from "../../src/analyzers/analyzeResult.js";

export function options(overrides: Partial<AnalyzeOptions> = {}): AnalyzeOptions {
  return { stringIndexType: "textElements", outputContentFormat: "text", features: [], queryFields: [], ...overrides };
}

/** The text a span designates in `content`, counting in the given unit (independent of the code under test). */
export function spanText(content: string, span: DocumentSpan, type: StringIndexType): string {
  const units =
    type === "utf16CodeUnit"
      ? content.split("")
      : type === "unicodeCodePoint"
        ? Array.from(content)
        : Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(content), (s) => s.segment);
  return units.slice(span.offset, span.offset + span.length).join("");
}

/** All words of a result in reading order. */
export function resultWords(result: AnalyzeResult): string[] {
  return result.pages.flatMap((page) => (page.words ?? []).map((word) => word.content));
}

/** Bounding box of a polygon. */
export function polygonBox(polygon: number[]): { left: number; top: number; right: number; bottom: number } {
  const xs = polygon.filter((_, i) => i % 2 === 0);
  const ys = polygon.filter((_, i) => i % 2 === 1);
  return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
}

/** Whether box `inner`, shrunk by nothing, lies within `outer` grown by `tolerance` on each side. */
export function boxWithin(inner: { left: number; top: number; right: number; bottom: number }, outer: { left: number; top: number; right: number; bottom: number }, tolerance: number): boolean {
  return inner.left >= outer.left - tolerance && inner.right <= outer.right + tolerance && inner.top >= outer.top - tolerance && inner.bottom <= outer.bottom + tolerance;
}

/** The result word that is the same occurrence (1st "the", 2nd "the", ...) as expected[index]. */
export function sameOccurrence<W extends { content: string }>(found: readonly W[], expected: readonly { text: string }[], index: number): W | undefined {
  const text = expected[index].text;
  const occurrence = expected.slice(0, index).filter((word) => word.text === text).length;
  return found.filter((word) => word.content === text)[occurrence];
}
