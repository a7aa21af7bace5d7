/**
 * OCR of a page in whatever orientation it was scanned. The page is read as given first (the
 * common case costs nothing more); only when that reads poorly does the page's ink profile
 * (textAxis.ts) say whether its lines run across the page (then 180 is tried first) or up it
 * (90 and 270 first). Turns stop at the first reading that reads well; the best is kept. A page slanted by more than a degree or so is straightened
 * and read again. Tesseract's own orientation detection (OSD) was measured too and found every
 * turn, but needs a second (legacy) engine and model in every worker; see bench/README.md.
 */
import sharp from "sharp";
import { betterQuality, measureOcrQuality, unreadableReason, type OcrQuality } from "./ocrQuality.js";
import type { OcrBox, OcrPage, OcrPool } from "./ocrPool.js";
import { textAxis, type TextAxis } from "./textAxis.js";

/** Quarter turns, clockwise: how far the content is turned from upright. */
export type QuarterTurn = 0 | 90 | 180 | 270;

export interface UprightReading {
  /** Boxes in the upright image's pixels; `toGiven` maps its points back to the image as given. */
  page: OcrPage;
  turn: QuarterTurn;
  /** The content's clockwise orientation in degrees, in (-180, 180]: the turn plus the skew. */
  angle: number;
  quality: OcrQuality;
  /** Why the page still reads poorly, if it does. */
  unreadable?: string;
  toGiven: (x: number, y: number) => [number, number];
}

/**
 * Turns tried after the page as given reads poorly, in order, by which way its lines run: lines
 * across the page mean upside down; lines up or down it a quarter turn. The others follow, in
 * case the ink misled (a reading that reads well stops the search).
 */
const TURNS_TO_TRY: Record<TextAxis | "unknown", readonly QuarterTurn[]> = {
  horizontal: [180, 90, 270],
  vertical: [90, 270, 180],
  unknown: [90, 270, 180],
};

/** Skew from which the page is straightened and read again: OCR misreads letters on slanted lines. */
const DESKEW_FROM_DEGREES = 1.5;

type Point = (x: number, y: number) => [number, number];

interface Reading {
  page: OcrPage;
  turn: QuarterTurn;
  quality: OcrQuality;
  toGiven: Point;
}

export async function readUpright(image: Buffer, ocr: OcrPool, signal?: AbortSignal): Promise<UprightReading> {
  const order: QuarterTurn[] = [0];
  let size: { width?: number; height?: number } | undefined;
  let best: (Reading & { image: Buffer }) | undefined;
  for (let index = 0; index < order.length; index++) {
    const turn = order[index];
    signal?.throwIfAborted();
    if (turn !== 0) size ??= await sharp(image).metadata();
    // Turning the image back by the content's turn makes the text upright.
    const upright = turn === 0 ? image : await sharp(image).rotate(360 - turn).png({ compressionLevel: 1 }).toBuffer();
    const page = await ocr.recognize(upright, signal);
    const quality = measureOcrQuality(page);
    if (!best || betterQuality(quality, best.quality)) {
      best = { page, turn, quality, toGiven: givenFromUpright(turn, size?.width ?? 0, size?.height ?? 0), image: upright };
    }
    if (unreadableReason(quality) === undefined) break;
    // Read poorly as given: the ink profile (milliseconds, only now) says which turns to try.
    if (turn === 0) order.push(...TURNS_TO_TRY[(await textAxis(image)) ?? "unknown"]);
  }
  if (!best) throw new Error("no orientation was read");
  const bestImage = best.image;
  const unreadable = unreadableReason(best.quality);
  const skew = unreadable ? 0 : skewDegrees(best.page);
  if (Math.abs(skew) >= DESKEW_FROM_DEGREES) {
    const straight = await straighten(bestImage, skew);
    const page = await ocr.recognize(straight.image, signal);
    const quality = measureOcrQuality(page);
    if (!betterQuality(best.quality, quality)) {
      const toTurned = straight.toTurned;
      const toGiven = best.toGiven;
      best = { ...best, page, quality, toGiven: (x, y) => toGiven(...toTurned(x, y)) };
    }
  }
  return { ...best, angle: normalizeAngle(best.turn + skew), ...(unreadable ? { unreadable } : {}) };
}

/**
 * The image turned back by its skew (sharp enlarges the canvas to hold the turned image), and
 * the map from its points back to the image's.
 */
async function straighten(image: Buffer, skew: number): Promise<{ image: Buffer; toTurned: Point }> {
  const before = await sharp(image).metadata();
  const { data, info } = await sharp(image).rotate(-skew, { background: "#ffffff" }).png({ compressionLevel: 1 }).toBuffer({ resolveWithObject: true });
  const radians = (skew * Math.PI) / 180;
  const [cos, sin] = [Math.cos(radians), Math.sin(radians)];
  const [fromX, fromY] = [(before.width ?? 0) / 2, (before.height ?? 0) / 2];
  const [toX, toY] = [info.width / 2, info.height / 2];
  // Turning back by +skew (clockwise in y-down pixels) around the centres.
  return { image: data, toTurned: (x, y) => [fromX + (x - toX) * cos - (y - toY) * sin, fromY + (x - toX) * sin + (y - toY) * cos] };
}

/** Maps a point of the upright image back to the image as given (width × height). */
function givenFromUpright(turn: QuarterTurn, width: number, height: number): Point {
  switch (turn) {
    case 0:
      return (x, y) => [x, y];
    case 90:
      return (x, y) => [width - y, x];
    case 180:
      return (x, y) => [width - x, height - y];
    case 270:
      return (x, y) => [y, height - x];
  }
}

/**
 * The text's clockwise slope in degrees: the median of the line baselines' slopes, longest
 * lines counted most (short lines have coarse baselines).
 */
export function skewDegrees(page: OcrPage): number {
  const slopes: { degrees: number; weight: number }[] = [];
  for (const paragraph of page.paragraphs) {
    for (const line of paragraph.lines) {
      const baseline: OcrBox | undefined = line.baseline;
      if (!baseline) continue;
      const length = Math.hypot(baseline.x1 - baseline.x0, baseline.y1 - baseline.y0);
      if (length < 50 || line.words.length < 3) continue;
      slopes.push({ degrees: (Math.atan2(baseline.y1 - baseline.y0, baseline.x1 - baseline.x0) * 180) / Math.PI, weight: length });
    }
  }
  if (slopes.length === 0) return 0;
  slopes.sort((a, b) => a.degrees - b.degrees);
  const half = slopes.reduce((sum, slope) => sum + slope.weight, 0) / 2;
  let seen = 0;
  for (const slope of slopes) {
    seen += slope.weight;
    if (seen >= half) return Math.abs(slope.degrees) < 0.5 ? 0 : Math.round(slope.degrees * 10) / 10;
  }
  return 0;
}

/** Degrees in (-180, 180]. */
export function normalizeAngle(degrees: number): number {
  let angle = degrees % 360;
  if (angle > 180) angle -= 360;
  if (angle <= -180) angle += 360;
  return Math.round(angle * 10) / 10;
}
