import type { AnalyzeResult, DocumentPage } from "../analyzeResult.js";

/** Where one extracted value was found in the document: DocuDevs' "source location". */
export interface SourceLocation {
  /** 1-based page number. */
  page: number;
  /** The line holding the value, as the reader saw it. */
  text: string;
  /** The line's polygon (x1,y1,...,x4,y4) in the page's unit; absent for documents without geometry (DOCX, text). */
  polygon?: number[];
  /** [left, top, right, bottom] of the polygon. */
  bbox?: [number, number, number, number];
  unit?: "inch" | "pixel";
}

/** Strings shorter than this match too much to point anywhere. */
const MIN_VALUE_LENGTH = 2;

/**
 * The location of every string value of an extraction result that occurs in the document's
 * lines, keyed by JSON Pointer (`/statements/0/customer`). Values the model made up or
 * reformatted (dates, sums) are not found and have no entry.
 */
export function locateValues(data: unknown, result: Pick<AnalyzeResult, "pages">): Record<string, SourceLocation> {
  const lines = result.pages.flatMap((page) => (page.lines ?? []).map((line) => ({ page, line, normalized: normalize(line.content) })));
  const located: Record<string, SourceLocation> = {};
  const visit = (value: unknown, pointer: string) => {
    if (typeof value === "string") {
      const wanted = normalize(value);
      if (wanted.length < MIN_VALUE_LENGTH) return;
      const hit = lines.find((candidate) => candidate.normalized.includes(wanted));
      if (hit) located[pointer] = locationOf(hit.page, hit.line.content, hit.line.polygon);
    } else if (Array.isArray(value)) {
      value.forEach((entry, index) => visit(entry, `${pointer}/${index}`));
    } else if (value !== null && typeof value === "object") {
      for (const [key, entry] of Object.entries(value)) visit(entry, `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`);
    }
  };
  visit(data, "");
  return located;
}

function locationOf(page: DocumentPage, text: string, polygon: number[] | undefined): SourceLocation {
  if (!polygon?.length) return { page: page.pageNumber, text };
  const xs = polygon.filter((_, i) => i % 2 === 0);
  const ys = polygon.filter((_, i) => i % 2 === 1);
  return {
    page: page.pageNumber,
    text,
    polygon,
    bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
    ...(page.unit ? { unit: page.unit } : {}),
  };
}

function normalize(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}
