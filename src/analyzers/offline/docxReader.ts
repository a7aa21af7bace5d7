import mammoth from "mammoth";
import { AnalyzerError } from "../analyzer.js";
import type { ExtractedDocument } from "./extractedDocument.js";
import { readHtml } from "./htmlReader.js";

/** DOCX through mammoth's HTML (it keeps headings), then the HTML reader. */
export async function readDocx(bytes: Uint8Array): Promise<ExtractedDocument> {
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      { styleMap: ["p[style-name='Title'] => h1:fresh", "p[style-name='Subtitle'] => h2:fresh"], ignoreEmptyParagraphs: true },
    );
    html = result.value;
  } catch (error) {
    throw new AnalyzerError("InvalidContent", `The DOCX document cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return readHtml(`<html><body>${html}</body></html>`);
}
