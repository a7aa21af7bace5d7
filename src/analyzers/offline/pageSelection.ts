import { AnalyzerError } from "../analyzer.js";

export interface PageRange {
  first: number;
  /** Undefined for an open range ("4-"). */
  last?: number;
}

/** Parses a `pages` option such as "1-3,5" or "4-"; a malformed one fails with `InvalidPages`. */
export function parsePageOption(option: string | undefined): PageRange[] | undefined {
  if (option === undefined || option.trim() === "") return undefined;
  return option.split(",").map((part) => {
    const match = /^\s*(\d+)\s*(?:(-)\s*(\d*)\s*)?$/.exec(part);
    if (!match) throw invalid(option);
    const first = Number(match[1]);
    const last = match[2] ? (match[3] ? Number(match[3]) : undefined) : first;
    if (first < 1 || (last !== undefined && last < first)) throw invalid(option);
    return { first, last };
  });
}

/**
 * The 1-based pages chosen by a `pages` option, limited to the document's pages, ascending and
 * unique. No option means every page. An option that selects no existing page fails with
 * `InvalidPages`.
 */
export function selectPages(option: string | undefined, pageCount: number): number[] {
  const ranges = parsePageOption(option);
  if (!ranges) return Array.from({ length: pageCount }, (_, i) => i + 1);
  const chosen = new Set<number>();
  for (const { first, last } of ranges) {
    for (let page = first; page <= Math.min(last ?? pageCount, pageCount); page++) chosen.add(page);
  }
  if (chosen.size === 0) {
    throw new AnalyzerError("InvalidPages", `The pages option "${option}" selects no page of this ${pageCount}-page document.`);
  }
  return [...chosen].sort((a, b) => a - b);
}

function invalid(option: string): AnalyzerError {
  return new AnalyzerError("InvalidPages", `The pages option "${option}" is not a valid list of pages (e.g. "1-3,5").`);
}
