/**
 * Table rules in a scanned page: long straight runs of dark pixels, across (horizontal rules)
 * and down (vertical rules). Runs on neighbouring pixel rows are the same thick line; they are
 * merged later with the other rules (pdfTables.ts). The rules are also erased from the image
 * before OCR: tesseract takes boxed text for pictures and skips it.
 */
import sharp from "sharp";
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

export interface SeparatedRules {
  /** The image to OCR: the input itself when it has no rules, else a PNG without them. */
  image: Buffer;
  /** Rules in the image's pixels. */
  rules: Rule[];
}

/** Finds an encoded image's rules and erases them for OCR. */
export async function separateRules(image: Buffer, options: { dpi: number }): Promise<SeparatedRules> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  const grey = { data, width: info.width, height: info.height };
  const rules = rulesOfImage(grey, { dpi: options.dpi, unitPerPixel: 1 });
  if (rules.length === 0) return { image, rules };
  for (const rule of rules) {
    const y = Math.floor(rule.y0);
    const x = Math.floor(rule.x0);
    if (rule.direction === "h") data.fill(255, y * grey.width + rule.x0, y * grey.width + rule.x1);
    else for (let row = rule.y0; row < rule.y1; row++) data[row * grey.width + x] = 255;
  }
  const erased = await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
    .withMetadata({ density: options.dpi })
    .png({ compressionLevel: 1 })
    .toBuffer();
  return { image: erased, rules };
}

/** `unitPerPixel` converts pixels to the page's unit (1 for images in pixels, 1/dpi for inches). */
export function rulesOfImage(image: GreyImage, options: { dpi: number; unitPerPixel: number }): Rule[] {
  const shortest = Math.max(8, Math.round(SHORTEST_INCHES * options.dpi));
  const { data, width, height } = image;
  const scale = options.unitPerPixel;
  const rules: Rule[] = [];
  for (let y = 0; y < height; y++) {
    for (const [start, end] of runs(width, (x) => data[y * width + x] < INK, shortest)) {
      rules.push({ direction: "h", x0: start * scale, y0: (y + 0.5) * scale, x1: end * scale, y1: (y + 0.5) * scale });
    }
  }
  for (let x = 0; x < width; x++) {
    for (const [start, end] of runs(height, (y) => data[y * width + x] < INK, shortest)) {
      rules.push({ direction: "v", x0: (x + 0.5) * scale, y0: start * scale, x1: (x + 0.5) * scale, y1: end * scale });
    }
  }
  return rules;
}

/** Runs of inked positions along one line at least `shortest` long, as [start, end). */
function runs(length: number, inked: (i: number) => boolean, shortest: number): [number, number][] {
  const found: [number, number][] = [];
  let start = -1;
  let lastInk = -1;
  for (let i = 0; i <= length; i++) {
    const ink = i < length && inked(i);
    if (ink) {
      if (start < 0) start = i;
      lastInk = i;
    } else if (start >= 0 && i - lastInk > GAP_PIXELS) {
      if (lastInk + 1 - start >= shortest) found.push([start, lastInk + 1]);
      start = -1;
    }
  }
  return found;
}
