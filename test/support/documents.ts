/**
 * Test documents with known text, generated on the fly (no fixtures on disk). Every generator
 * returns the bytes plus what a reader should find in them, so tests and benchmarks can check
 * accuracy and positions. Positions are top-left based: inches for PDFs, pixels for images.
 */
import { createCanvas } from "@napi-rs/canvas";
import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, TextRun } from "docx";
import { PDFDocument, StandardFonts, degrees, type PDFFont } from "pdf-lib";
import sharp from "sharp";

export interface KnownWord {
  text: string;
  /** 1-based page number. */
  pageNumber: number;
  /** Top-left based box: inches for PDFs, pixels for images. */
  box: { left: number; top: number; right: number; bottom: number };
}

export interface GeneratedDocument {
  bytes: Uint8Array;
  /** The text a reader should find, page by page, line by line. */
  pages: string[][];
  /** Words with their expected boxes, where the generator knows them. */
  words: KnownWord[];
}

/** Plain English sentences, varied enough to exercise OCR and word splitting. */
export const SAMPLE_LINES: readonly string[] = [
  "The quick brown fox jumps over the lazy dog.",
  "Invoice number 48213 was paid on March 14, 2024.",
  "Batch analysis reads every page of every document.",
  "Seven wizards quietly judged the boxing match.",
  "Shipping address: 221 Baker Street, London.",
  "Total amount due: 1,250.75 euros before July.",
  "Pack my box with five dozen liquor jugs.",
  "Results are written next to the source files.",
];

/** Words of some lines, in reading order, for accuracy checks. */
export function wordsOf(lines: readonly string[]): string[] {
  return lines.flatMap((line) => line.split(/\s+/).filter(Boolean));
}

/**
 * Share of expected words found, in order (longest common subsequence over words), so a
 * dropped, merged or misread word costs one and reading order matters.
 */
export function wordAccuracy(expected: readonly string[], actual: readonly string[]): number {
  if (expected.length === 0) return actual.length === 0 ? 1 : 0;
  let previous = new Array<number>(actual.length + 1).fill(0);
  for (const word of expected) {
    const current = new Array<number>(actual.length + 1).fill(0);
    for (let j = 1; j <= actual.length; j++) {
      current[j] = word === actual[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
    }
    previous = current;
  }
  return previous[actual.length] / expected.length;
}

// ---------------------------------------------------------------------------------------------
// PDFs with a text layer

export type PdfFontName = "Helvetica" | "Helvetica-Bold" | "Times-Roman" | "Courier";

export interface PdfTextBlock {
  lines: readonly string[];
  font?: PdfFontName;
  /** Points. */
  size?: number;
  /** Left edge in inches from the page's left. */
  left?: number;
  /** Baseline of the first line in inches from the page's top. */
  top?: number;
}

export interface PdfPageSpec {
  blocks: readonly PdfTextBlock[];
  /** Page rotation in degrees (the /Rotate entry), multiple of 90. */
  rotate?: 0 | 90 | 180 | 270;
  /** Inches; US Letter by default. */
  width?: number;
  height?: number;
}

const fontIds: Record<PdfFontName, StandardFonts> = {
  Helvetica: StandardFonts.Helvetica,
  "Helvetica-Bold": StandardFonts.HelveticaBold,
  "Times-Roman": StandardFonts.TimesRoman,
  Courier: StandardFonts.Courier,
};

/**
 * A PDF with a text layer, drawn with pdf-lib's standard fonts. Word boxes are exact in
 * unrotated page space (inches, top-left origin); for rotated pages they are given in the
 * displayed (rotated) orientation, which is what readers report.
 */
export async function makeTextPdf(pageSpecs: readonly PdfPageSpec[]): Promise<GeneratedDocument> {
  const pdf = await PDFDocument.create();
  const fonts = new Map<PdfFontName, PDFFont>();
  const pages: string[][] = [];
  const words: KnownWord[] = [];
  for (const [index, spec] of pageSpecs.entries()) {
    const widthIn = spec.width ?? 8.5;
    const heightIn = spec.height ?? 11;
    const page = pdf.addPage([widthIn * 72, heightIn * 72]);
    if (spec.rotate) page.setRotation(degrees(spec.rotate));
    const pageLines: string[] = [];
    for (const block of spec.blocks) {
      const fontName = block.font ?? "Helvetica";
      let font = fonts.get(fontName);
      if (!font) {
        font = await pdf.embedFont(fontIds[fontName]);
        fonts.set(fontName, font);
      }
      const size = block.size ?? 12;
      const left = block.left ?? 1;
      let baseline = block.top ?? 1.5;
      for (const line of block.lines) {
        page.drawText(line, { x: left * 72, y: (heightIn - baseline) * 72, size, font });
        pageLines.push(line);
        let x = left * 72;
        for (const part of line.split(/(\s+)/)) {
          const width = font.widthOfTextAtSize(part, size);
          if (part.trim()) {
            // Box from the font's ascent to its descent around the baseline.
            const ascent = font.heightAtSize(size, { descender: false });
            const descent = font.heightAtSize(size) - ascent;
            const box = {
              left: x / 72,
              right: (x + width) / 72,
              top: baseline - ascent / 72,
              bottom: baseline + descent / 72,
            };
            words.push({ text: part, pageNumber: index + 1, box: rotateBox(box, widthIn, heightIn, spec.rotate ?? 0) });
          }
          x += width;
        }
        baseline += (size * 1.4) / 72;
      }
    }
    pages.push(pageLines);
  }
  return { bytes: await pdf.save(), pages, words };
}

/** Where a box of an unrotated page lands once the page is shown rotated clockwise. */
function rotateBox(box: KnownWord["box"], width: number, height: number, rotate: number): KnownWord["box"] {
  switch (rotate) {
    case 90:
      return { left: height - box.bottom, right: height - box.top, top: box.left, bottom: box.right };
    case 180:
      return { left: width - box.right, right: width - box.left, top: height - box.bottom, bottom: height - box.top };
    case 270:
      return { left: box.top, right: box.bottom, top: width - box.right, bottom: width - box.left };
    default:
      return box;
  }
}

/** Four pages: several fonts and sizes, a title, a rotated page and two columns. */
export async function makeMixedPdf(): Promise<GeneratedDocument> {
  return makeTextPdf([
    {
      blocks: [
        { lines: ["Quarterly Shipping Report"], font: "Helvetica-Bold", size: 24, top: 1.2 },
        { lines: SAMPLE_LINES.slice(0, 3), font: "Helvetica", size: 12, top: 2 },
        { lines: SAMPLE_LINES.slice(3, 5), font: "Times-Roman", size: 14, top: 3.2 },
        { lines: SAMPLE_LINES.slice(5, 7), font: "Courier", size: 10, top: 4.4 },
      ],
    },
    { blocks: [{ lines: SAMPLE_LINES.slice(0, 4), size: 11, top: 1.5 }], rotate: 90 },
    {
      blocks: [
        { lines: ["Left column starts here.", "It has two lines."], size: 11, left: 0.8, top: 1.5 },
        { lines: ["Right column text follows.", "Also two lines long."], size: 11, left: 4.6, top: 1.5 },
      ],
    },
    { blocks: [{ lines: SAMPLE_LINES.slice(4, 8), font: "Times-Roman", size: 9, top: 1.2 }] },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Rendered text: images and scanned PDFs

export interface RenderedText {
  /** PNG bytes. */
  png: Buffer;
  width: number;
  height: number;
  dpi: number;
  lines: string[];
  /** Word boxes in pixels. */
  words: KnownWord[];
}

/** Renders lines of black text on white at a given resolution (12 pt text by default). */
export function renderTextPng(lines: readonly string[], options: { dpi?: number; fontSizePt?: number; pageNumber?: number } = {}): RenderedText {
  const dpi = options.dpi ?? 300;
  const fontPx = ((options.fontSizePt ?? 12) * dpi) / 72;
  const margin = Math.round(dpi * 0.5);
  const lineHeight = Math.round(fontPx * 1.6);
  const measure = createCanvas(10, 10).getContext("2d");
  measure.font = `${fontPx}px sans-serif`;
  const widest = Math.max(...lines.map((line) => measure.measureText(line).width));
  const width = Math.ceil(widest + 2 * margin);
  const height = Math.ceil(lines.length * lineHeight + 2 * margin);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#000000";
  ctx.font = `${fontPx}px sans-serif`;
  ctx.textBaseline = "alphabetic";
  const words: KnownWord[] = [];
  lines.forEach((line, i) => {
    const baseline = margin + i * lineHeight + fontPx;
    ctx.fillText(line, margin, baseline);
    let x = margin;
    for (const part of line.split(/(\s+)/)) {
      const metrics = ctx.measureText(part);
      if (part.trim()) {
        words.push({
          text: part,
          pageNumber: options.pageNumber ?? 1,
          box: { left: x, right: x + metrics.width, top: baseline - metrics.actualBoundingBoxAscent, bottom: baseline + metrics.actualBoundingBoxDescent },
        });
      }
      x += metrics.width;
    }
  });
  const png = canvas.toBuffer("image/png");
  return { png, width, height, dpi, lines: [...lines], words };
}

export type ImageFormat = "png" | "jpeg" | "webp" | "tiff" | "bmp";

/** Rendered text as an image file of the given format (TIFF: one page per entry of `pages`). */
export async function makeTextImage(
  format: ImageFormat,
  pages: readonly (readonly string[])[],
  options: { dpi?: number; fontSizePt?: number } = {},
): Promise<GeneratedDocument & { renders: RenderedText[] }> {
  const renders = pages.map((lines, i) => renderTextPng(lines, { ...options, pageNumber: i + 1 }));
  const dpi = options.dpi ?? 300;
  let bytes: Buffer;
  switch (format) {
    case "png":
      bytes = await sharp(renders[0].png).withMetadata({ density: dpi }).png().toBuffer();
      break;
    case "jpeg":
      bytes = await sharp(renders[0].png).withMetadata({ density: dpi }).jpeg({ quality: 92 }).toBuffer();
      break;
    case "webp":
      bytes = await sharp(renders[0].png).webp({ quality: 95 }).toBuffer();
      break;
    case "bmp":
      bytes = await encodeBmp(renders[0].png);
      break;
    case "tiff": {
      // Pages of one multi-page TIFF must share a size: pad each render to the largest.
      const width = Math.max(...renders.map((r) => r.width));
      const height = Math.max(...renders.map((r) => r.height));
      const padded = await Promise.all(
        renders.map((r) =>
          sharp(r.png).extend({ right: width - r.width, bottom: height - r.height, background: "#ffffff" }).png().toBuffer(),
        ),
      );
      bytes = await sharp(padded, { join: { animated: true } }).tiff({ compression: "lzw", xres: dpi / 25.4, yres: dpi / 25.4 }).toBuffer();
      break;
    }
  }
  return { bytes, pages: renders.map((r) => r.lines), words: renders.flatMap((r) => r.words), renders };
}

/** An uncompressed 24-bit bottom-up BMP (sharp cannot write BMP). */
export async function encodeBmp(png: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rowSize = Math.ceil((info.width * 3) / 4) * 4;
  const pixelBytes = rowSize * info.height;
  const out = Buffer.alloc(54 + pixelBytes);
  out.write("BM", 0, "latin1");
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(info.width, 18);
  out.writeInt32LE(info.height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(0, 30);
  out.writeUInt32LE(pixelBytes, 34);
  out.writeInt32LE(11811, 38); // 300 dpi in pixels per metre
  out.writeInt32LE(11811, 42);
  for (let y = 0; y < info.height; y++) {
    const row = 54 + (info.height - 1 - y) * rowSize;
    for (let x = 0; x < info.width; x++) {
      const source = (y * info.width + x) * info.channels;
      out[row + x * 3] = data[source + 2];
      out[row + x * 3 + 1] = data[source + 1];
      out[row + x * 3 + 2] = data[source];
    }
  }
  return out;
}

/**
 * A scan of no text: a deterministic scatter of glyph-sized strokes, ink in a text-like density
 * (OCR reads it as fragments of letters and symbols). PNG.
 */
export async function makeNoiseScan(options: { width?: number; height?: number } = {}): Promise<Buffer> {
  const width = options.width ?? 1200;
  const height = options.height ?? 800;
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const strokes: string[] = [];
  // About one stroke per 2400 square pixels, as in the first test scans that read as junk.
  for (let i = 0; i < (width * height) / 2400; i++) {
    const [x, y] = [random() * width, random() * height];
    const curve = Array.from({ length: 4 }, () => (random() * 40 - 20).toFixed(1)).join(" ");
    strokes.push(`<path d="M${x.toFixed(1)} ${y.toFixed(1)} q${curve}" stroke="black" stroke-width="${(2 + random() * 5).toFixed(1)}" fill="none"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${strokes.join("")}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * A scanned document: each page is an image of rendered text placed on a Letter page, with no
 * text layer. Word boxes are in inches on the page.
 */
export async function makeScannedPdf(pages: readonly (readonly string[])[], options: { dpi?: number } = {}): Promise<GeneratedDocument> {
  const dpi = options.dpi ?? 200;
  const pdf = await PDFDocument.create();
  const words: KnownWord[] = [];
  for (const [i, lines] of pages.entries()) {
    const render = renderTextPng(lines, { dpi, pageNumber: i + 1 });
    const image = await pdf.embedPng(render.png);
    const page = pdf.addPage([8.5 * 72, 11 * 72]);
    const widthPt = (render.width / dpi) * 72;
    const heightPt = (render.height / dpi) * 72;
    page.drawImage(image, { x: 0, y: 11 * 72 - heightPt, width: widthPt, height: heightPt });
    for (const word of render.words) {
      const b = word.box;
      words.push({ text: word.text, pageNumber: i + 1, box: { left: b.left / dpi, right: b.right / dpi, top: b.top / dpi, bottom: b.bottom / dpi } });
    }
  }
  return { bytes: await pdf.save(), pages: pages.map((lines) => [...lines]), words };
}

/** One PDF holding the pages of several, in order (e.g. a text page followed by a scanned one). */
export async function joinPdfs(parts: readonly Uint8Array[]): Promise<Uint8Array> {
  const joined = await PDFDocument.create();
  for (const bytes of parts) {
    const source = await PDFDocument.load(bytes);
    for (const page of await joined.copyPages(source, source.getPageIndices())) joined.addPage(page);
  }
  return joined.save();
}

// ---------------------------------------------------------------------------------------------
// Text documents

export interface StructuredText {
  title: string;
  sections: { heading: string; paragraphs: string[] }[];
}

/** Text with non-BMP characters and combining marks, to check span arithmetic. */
export const TRICKY_TEXT: StructuredText = {
  title: "Cafe\u0301 report 📄",
  sections: [
    {
      heading: "Emoji and marks",
      paragraphs: [
        "Family 👨‍👩‍👧 arrived at the cafe\u0301 with 🐈 and 𝒳 symbols.",
        "Na\u0308ive sentences keep their combining marks: n\u0303 and e\u0301.",
      ],
    },
    { heading: "Plain ending", paragraphs: ["Nothing special here, just words."] },
  ],
};

export const PLAIN_STRUCTURED_TEXT: StructuredText = {
  title: "Shipping Manual",
  sections: [
    { heading: "Receiving goods", paragraphs: [SAMPLE_LINES[0], SAMPLE_LINES[1]] },
    { heading: "Sending goods", paragraphs: [SAMPLE_LINES[4], SAMPLE_LINES[5]] },
  ],
};

/** All paragraphs of a structured text in reading order (title, headings, body). */
export function paragraphsOf(text: StructuredText): string[] {
  return [text.title, ...text.sections.flatMap((s) => [s.heading, ...s.paragraphs])];
}

export async function makeDocx(text: StructuredText = PLAIN_STRUCTURED_TEXT): Promise<Uint8Array> {
  const children: Paragraph[] = [new Paragraph({ text: text.title, heading: HeadingLevel.TITLE, alignment: AlignmentType.CENTER })];
  for (const section of text.sections) {
    children.push(new Paragraph({ text: section.heading, heading: HeadingLevel.HEADING_1 }));
    for (const paragraph of section.paragraphs) children.push(new Paragraph({ children: [new TextRun(paragraph)] }));
  }
  const doc = new Document({ sections: [{ children }] });
  return new Uint8Array(await Packer.toBuffer(doc));
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function makeHtml(text: StructuredText = PLAIN_STRUCTURED_TEXT): Uint8Array {
  const body = text.sections
    .map((s) => `<h2>${escapeHtml(s.heading)}</h2>\n${s.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n")}`)
    .join("\n");
  const html = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(text.title)}</title><style>p{color:red}</style></head>\n<body><h1>${escapeHtml(text.title)}</h1>\n${body}\n<script>var ignored = 1;</script></body></html>\n`;
  return new TextEncoder().encode(html);
}

export function makeMarkdown(text: StructuredText = PLAIN_STRUCTURED_TEXT): Uint8Array {
  const md = `# ${text.title}\n\n${text.sections.map((s) => `## ${s.heading}\n\n${s.paragraphs.join("\n\n")}`).join("\n\n")}\n`;
  return new TextEncoder().encode(md);
}

export function makePlainText(text: StructuredText = PLAIN_STRUCTURED_TEXT): Uint8Array {
  return new TextEncoder().encode(paragraphsOf(text).join("\n\n") + "\n");
}

// ---------------------------------------------------------------------------------------------
// Broken and unsupported inputs

/** A PDF header followed by garbage: not a readable PDF. */
export function makeCorruptPdf(): Uint8Array {
  const garbage = Buffer.alloc(2048);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 251;
  return new Uint8Array(Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), garbage, Buffer.from("\n%%EOF\n")]));
}

/**
 * A PDF encrypted with the standard security handler whose user password is not empty, written
 * by hand (pdf-lib cannot encrypt): a reader must ask for a password.
 */
export function makeEncryptedPdf(): Uint8Array {
  const hex32 = (seed: number) => Array.from({ length: 32 }, (_, i) => ((seed * (i + 3) * 37) % 256).toString(16).padStart(2, "0")).join("");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
    "<< /Length 44 >>\nstream\n" + "\x8a\x13".repeat(22) + "\nendstream",
    `<< /Filter /Standard /V 1 /R 2 /O <${hex32(5)}> /U <${hex32(11)}> /P -3904 >>`,
  ];
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, "latin1"));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, "latin1");
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Encrypt 5 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(body, "latin1"));
}

export function makeEmptyDocument(): Uint8Array {
  return new Uint8Array(0);
}

/** Binary bytes that are no document format: a ZIP archive that is not a DOCX, and random-ish bytes. */
export function makeUnsupportedBytes(kind: "zip" | "binary" = "binary"): Uint8Array {
  if (kind === "zip") {
    // An empty ZIP archive (end-of-central-directory record only).
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    return new Uint8Array(eocd);
  }
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  bytes[0] = 0x00;
  bytes[1] = 0xff;
  return new Uint8Array(bytes);
}
