/**
 * Tells the document's format from its bytes (never from its name): binary formats by their
 * signature (file-type), text formats by decoding and sniffing.
 */
import { fileTypeFromBuffer } from "file-type";
import { AnalyzerError } from "../analyzer.js";

export type DocumentFormat =
  | { kind: "pdf" }
  | { kind: "image"; mime: "image/png" | "image/jpeg" | "image/tiff" | "image/bmp" | "image/webp" }
  | { kind: "docx" }
  | { kind: "html"; text: string }
  | { kind: "markdown"; text: string }
  | { kind: "text"; text: string };

const imageTypes = new Set(["image/png", "image/jpeg", "image/tiff", "image/bmp", "image/webp"]);

export async function detectFormat(bytes: Uint8Array): Promise<DocumentFormat> {
  if (bytes.length === 0) throw new AnalyzerError("InvalidContent", "The document is empty.");
  // PDF readers accept a header anywhere in the first KiB; file-type only looks at offset 0.
  if (findAscii(bytes.subarray(0, 1024), "%PDF-") >= 0) return { kind: "pdf" };
  const type = await fileTypeFromBuffer(bytes);
  if (type) {
    if (imageTypes.has(type.mime)) return { kind: "image", mime: type.mime as "image/png" };
    if (type.ext === "docx") return { kind: "docx" };
    throw new AnalyzerError("UnsupportedContent", `Documents of type ${type.mime} are not supported by this model.`);
  }
  const text = decodeText(bytes);
  if (text === undefined) throw new AnalyzerError("UnsupportedContent", "The document is neither a supported binary format nor text.");
  if (text.trim() === "") throw new AnalyzerError("InvalidContent", "The document holds no text.");
  if (/^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i.test(text) || /<html[\s>]/i.test(text.slice(0, 4096))) return { kind: "html", text };
  if (looksLikeMarkdown(text)) return { kind: "markdown", text };
  return { kind: "text", text };
}

/** UTF-8 (with or without BOM) or UTF-16 with a BOM; undefined for binary data. */
function decodeText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder("utf-16le", { fatal: true }).decode(bytes.subarray(2));
    else if (bytes[0] === 0xfe && bytes[1] === 0xff) text = new TextDecoder("utf-16be", { fatal: true }).decode(bytes.subarray(2));
    else text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
  // Control characters other than tab, line breaks and form feed mean binary data.
  const controls = text.match(/[\u0000-\u0008\u000e-\u001f\u007f]/g)?.length ?? 0;
  if (controls > 0 && controls > text.length / 1000) return undefined;
  return text.replace(/\r\n?/g, "\n");
}

function looksLikeMarkdown(text: string): boolean {
  const sample = text.slice(0, 16_384);
  let score = 0;
  if (/^#{1,6} \S/m.test(sample)) score += 2;
  if (/^\s{0,3}([-*+]|\d+\.) \S/m.test(sample)) score += 1;
  if (/^```/m.test(sample)) score += 2;
  if (/\[[^\]]+\]\([^)]+\)/.test(sample)) score += 1;
  if (/^\|.*\|\s*$/m.test(sample) && /^\|?\s*:?-{3,}/m.test(sample)) score += 2;
  if (/(\*\*|__)\S.*?\S\1/.test(sample)) score += 1;
  return score >= 2;
}

function findAscii(bytes: Uint8Array, needle: string): number {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}
