/**
 * Small, valid PDFs that make pdfjs work far too long or need far too much memory, for the
 * tests of the PDF worker threads. Built with pdf-lib, fresh in every test.
 */
import { PDFDocument, PDFName, PDFOperator, PDFOperatorNames, StandardFonts } from "pdf-lib";

/**
 * One page painted by a free-form triangle mesh shading (type 4) of `triangles` triangles, each
 * covering half the page. pdfjs rasterizes mesh shadings pixel by pixel in JavaScript, in one
 * synchronous call: with pdfjs-dist 5 on this project's 2-core machine, 1000 triangles rendered
 * at 200 dpi take ~11 s without the event loop running once, so the default 4000 take ~45 s.
 * The page has no text, so the reader renders it for OCR.
 */
export async function makeSlowShadingPdf(triangles = 4000): Promise<Uint8Array> {
  const vertices = Buffer.alloc(triangles * 3 * 6);
  let offset = 0;
  // Flag byte, x and y as 16-bit fractions of the Decode ranges, one grey byte.
  const vertex = (x: number, y: number, grey: number) => {
    offset = vertices.writeUInt8(0, offset);
    offset = vertices.writeUInt16BE(x, offset);
    offset = vertices.writeUInt16BE(y, offset);
    offset = vertices.writeUInt8(grey, offset);
  };
  for (let i = 0; i < triangles; i++) {
    vertex(0, 0, i % 256);
    vertex(0xffff, 0, 128);
    vertex(i % 2 ? 0xffff : 0, 0xffff, 255 - (i % 256));
  }
  const document = await PDFDocument.create();
  const page = document.addPage([612, 792]);
  const shading = document.context.register(
    document.context.flateStream(vertices, {
      ShadingType: 4,
      ColorSpace: "DeviceGray",
      BitsPerCoordinate: 16,
      BitsPerComponent: 8,
      BitsPerFlag: 8,
      Decode: [0, 612, 0, 792, 0, 1],
    }),
  );
  page.node.normalizedEntries().Resources.set(PDFName.of("Shading"), document.context.obj({ Sh0: shading }));
  page.pushOperators(PDFOperator.of(PDFOperatorNames.ShadingFill, [PDFName.of("Sh0")]));
  return document.save({ useObjectStreams: false });
}

/**
 * One page with `runs` separately positioned one-letter text runs: its text layer alone needs
 * hundreds of megabytes of JavaScript heap (300,000 runs: ~0.5 GB of RSS with pdfjs-dist 5).
 */
export async function makeHugeTextLayerPdf(runs = 300_000): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const page = document.addPage([612, 792]);
  const font = await document.embedFont(StandardFonts.Helvetica);
  const key = page.node.newFontDictionary(font.name, font.ref);
  const operators = [`BT ${key} 1 Tf`];
  for (let i = 0; i < runs; i++) operators.push(`1 0 0 1 ${i % 600} ${(i * 7) % 780} Tm (a) Tj`);
  operators.push("ET");
  page.node.addContentStream(document.context.register(document.context.flateStream(operators.join("\n"))));
  return document.save({ useObjectStreams: false });
}
