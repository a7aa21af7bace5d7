/**
 * Table rules in a scanned page: long straight runs of dark pixels, across (horizontal rules)
 * and down (vertical rules). Runs on neighbouring pixel rows are the same thick line; they are
 * merged later with the other rules (pageTables.ts). The rules are also erased from the image
 * before OCR: tesseract takes boxed text for pictures and skips it.
 */
import type { Rule } from "./pdfRules.js";

export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Darker than this (0-255) is ink. */
const INK = 128;
/** Shorter runs are letters, not rules: a quarter of an inch. */
const SHORTEST_INCHES = 0.25;
/** A scanned rule may have a pixel or two missing; a gap this long still joins a run. */
const GAP_PIXELS = 2;

/**
 * Finds a grey image's rules and erases them in place (white), for OCR; returns them in pixels.
 * Works on pixels the reader already holds: decoding a page's PNG again would cost more than OCR
 * can spare.
 */
export function separateRules(image: GreyImage, options: { dpi: number }): Rule[] {
  const rules = rulesOfImage(image, { dpi: options.dpi, unitPerPixel: 1 });
  const { data, width } = image;
  for (const rule of rules) {
    if (rule.direction === "h") data.fill(255, Math.floor(rule.y0) * width + rule.x0, Math.floor(rule.y0) * width + rule.x1);
    else for (let y = rule.y0, x = Math.floor(rule.x0); y < rule.y1; y++) data[y * width + x] = 255;
  }
  return rules;
}

/**
 * `unitPerPixel` converts pixels to the page's unit (1 for images in pixels, 1/dpi for inches).
 * One pass over the pixels in memory order: runs across are followed along each row, runs down
 * by a start and last-ink position per column.
 */
export function rulesOfImage(image: GreyImage, options: { dpi: number; unitPerPixel: number }): Rule[] {
  const shortest = Math.max(8, Math.round(SHORTEST_INCHES * options.dpi));
  const { data, width, height } = image;
  const scale = options.unitPerPixel;
  const rules: Rule[] = [];
  const downStart = new Int32Array(width).fill(-1);
  const downLast = new Int32Array(width).fill(-1);
  const closeDown = (x: number) => {
    if (downLast[x] + 1 - downStart[x] >= shortest) {
      rules.push({ direction: "v", x0: (x + 0.5) * scale, y0: downStart[x] * scale, x1: (x + 0.5) * scale, y1: (downLast[x] + 1) * scale });
    }
    downStart[x] = -1;
  };
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let acrossStart = -1;
    let acrossLast = -1;
    for (let x = 0; x < width; x++) {
      if (data[row + x] < INK) {
        if (acrossStart < 0) acrossStart = x;
        acrossLast = x;
        if (downStart[x] < 0) downStart[x] = y;
        downLast[x] = y;
      } else {
        if (acrossStart >= 0 && x - acrossLast > GAP_PIXELS) {
          if (acrossLast + 1 - acrossStart >= shortest) rules.push({ direction: "h", x0: acrossStart * scale, y0: (y + 0.5) * scale, x1: (acrossLast + 1) * scale, y1: (y + 0.5) * scale });
          acrossStart = -1;
        }
        if (downStart[x] >= 0 && y - downLast[x] > GAP_PIXELS) closeDown(x);
      }
    }
    if (acrossStart >= 0 && acrossLast + 1 - acrossStart >= shortest) rules.push({ direction: "h", x0: acrossStart * scale, y0: (y + 0.5) * scale, x1: (acrossLast + 1) * scale, y1: (y + 0.5) * scale });
  }
  for (let x = 0; x < width; x++) if (downStart[x] >= 0) closeDown(x);
  return withoutThickStrokes(rules, (THICKEST_POINTS / 72) * options.dpi, scale);
}

/** Rules are thin lines; a stroke thicker than this (points) is part of big letters or a picture. */
const THICKEST_POINTS = 2;

/**
 * Drops runs that belong to a thick band: runs on neighbouring pixel lines that overlap each
 * other form a band (one line drawn several pixels thick), and a band thicker than `thickest`
 * pixels is a letter's stem or bar (28 pt letters have 0.3 inch stems), not a rule.
 */
function withoutThickStrokes(rules: Rule[], thickest: number, scale: number): Rule[] {
  const kept: Rule[] = [];
  for (const direction of ["h", "v"] as const) {
    const runs = rules.filter((rule) => rule.direction === direction);
    const at = (rule: Rule) => (direction === "h" ? rule.y0 : rule.x0) / scale;
    const span = (rule: Rule): [number, number] => (direction === "h" ? [rule.x0, rule.x1] : [rule.y0, rule.y1]);
    runs.sort((a, b) => at(a) - at(b));
    const parent = runs.map((_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
    for (let i = 0; i < runs.length; i++) {
      for (let j = i + 1; j < runs.length && at(runs[j]) - at(runs[i]) <= 1.01; j++) {
        const [a0, a1] = span(runs[i]);
        const [b0, b1] = span(runs[j]);
        if (Math.min(a1, b1) - Math.max(a0, b0) >= 0.5 * Math.min(a1 - a0, b1 - b0)) parent[find(j)] = find(i);
      }
    }
    const extent = new Map<number, [number, number]>();
    runs.forEach((rule, i) => {
      const root = find(i);
      const [low, high] = extent.get(root) ?? [Infinity, -Infinity];
      extent.set(root, [Math.min(low, at(rule)), Math.max(high, at(rule))]);
    });
    runs.forEach((rule, i) => {
      const [low, high] = extent.get(find(i))!;
      if (high - low + 1 <= thickest) kept.push(rule);
    });
  }
  return kept;
}
