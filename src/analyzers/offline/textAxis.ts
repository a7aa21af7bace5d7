/**
 * Which way a page's text lines run, from its ink alone (milliseconds, no OCR): lines of text
 * leave blank pixel rows between them and almost no blank pixel columns inside the text block;
 * text turned sideways does the opposite. Undefined when the page does not say (skewed text,
 * pictures, noise, too little ink).
 */
import sharp from "sharp";

export type TextAxis = "horizontal" | "vertical";

/** Analyzed at this width at most: plenty to see lines, cheap to scan. */
const ANALYSIS_SIZE = 800;
/** One share of blank lines must exceed the other by this factor (and margin) to decide. */
const DECISIVE_RATIO = 2;
const DECISIVE_MARGIN = 0.05;

export async function textAxis(image: Buffer): Promise<TextAxis | undefined> {
  const { data, info } = await sharp(image)
    .greyscale()
    .resize(ANALYSIS_SIZE, ANALYSIS_SIZE, { fit: "inside", withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const rows = new Uint32Array(height);
  const columns = new Uint32Array(width);
  let ink = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[y * width + x] < 128) {
        rows[y]++;
        columns[x]++;
        ink++;
      }
    }
  }
  if (ink < 0.001 * width * height) return undefined;
  const rowShare = blankShareInside(rows);
  const columnShare = blankShareInside(columns);
  if (rowShare > DECISIVE_RATIO * columnShare + DECISIVE_MARGIN) return "horizontal";
  if (columnShare > DECISIVE_RATIO * rowShare + DECISIVE_MARGIN) return "vertical";
  return undefined;
}

/** Share of blank lines between the first and last inked line. */
function blankShareInside(counts: Uint32Array): number {
  let first = 0;
  while (first < counts.length && counts[first] === 0) first++;
  let last = counts.length - 1;
  while (last > first && counts[last] === 0) last--;
  if (last <= first) return 0;
  let blank = 0;
  for (let i = first; i <= last; i++) if (counts[i] === 0) blank++;
  return blank / (last - first + 1);
}
