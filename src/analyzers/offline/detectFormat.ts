/**
 * Tells the document's format from its bytes (never from its name): binary formats by their
 * signature (file-type), text formats by decoding and sniffing.
 */
import { fileTypeFromBuffer } from "file-type";
import { AnalyzerError } from "../analyzer.js";
import { DEFAULT_MAX_TEXT_CHARACTERS, textTooLarge } from "./textLimit.js";

export type DocumentFormat =
  | { kind: "pdf" }
  | { kind: "image"; mime: "image/png" | "image/jpeg" | "image/tiff" | "image/bmp" | "image/webp" }
  | { kind: "docx" }
  | { kind: "html"; text: string }
  | { kind: "markdown"; text: string }
  | { kind: "text"; text: string };

const imageTypes = new Set(["image/png", "image/jpeg", "image/tiff", "image/bmp", "image/webp"]);

export interface DetectOptions {
  /** Text documents longer than this (UTF-16 units) fail with ContentTooLarge, before they are decoded when the size tells. */
  maxTextCharacters?: number;
}

export async function detectFormat(bytes: Uint8Array, options: DetectOptions = {}): Promise<DocumentFormat> {
  if (bytes.length === 0) throw new AnalyzerError("InvalidContent", "The document is empty.");
  // PDF readers accept a header anywhere in the first KiB; file-type only looks at offset 0.
  if (findAscii(bytes.subarray(0, 1024), "%PDF-") >= 0) return { kind: "pdf" };
  const limit = options.maxTextCharacters ?? DEFAULT_MAX_TEXT_CHARACTERS;
  // A byte order mark says text: file-type would take UTF-16's FF FE for an MPEG audio frame.
  let text = textEncodingOf(bytes) !== "utf-8" ? decodeText(bytes, limit) : undefined;
  if (text === undefined) {
    const type = await fileTypeFromBuffer(bytes);
    if (type) {
      if (imageTypes.has(type.mime)) return { kind: "image", mime: type.mime as "image/png" };
      if (type.ext === "docx") return { kind: "docx" };
      throw new AnalyzerError("UnsupportedContent", `Documents of type ${type.mime} are not supported by this model.`);
    }
    text = decodeText(bytes, limit);
  }
  if (text === undefined) throw new AnalyzerError("UnsupportedContent", "The document is neither a supported binary format nor text.");
  if (text.trim() === "") throw new AnalyzerError("InvalidContent", "The document holds no text.");
  if (/^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i.test(text) || /<html[\s>]/i.test(text.slice(0, 4096))) return { kind: "html", text };
  if (looksLikeMarkdown(text)) return { kind: "markdown", text };
  return { kind: "text", text };
}

type TextEncoding = "utf-8" | "utf-8-bom" | "utf-16le" | "utf-16be";

function textEncodingOf(bytes: Uint8Array): TextEncoding {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8-bom";
  return "utf-8";
}

/** Inspected before anything is decoded whole: enough to tell text from binary. */
const SAMPLE_BYTES = 64 * 1024;

/**
 * UTF-8 (with or without BOM), UTF-16 with a BOM, or else Latin-1 (as Windows-1252, its usual
 * superset); undefined for binary data. Fails with ContentTooLarge past `limit` UTF-16 units,
 * without decoding the whole document when its size alone says so.
 */
function decodeText(bytes: Uint8Array, limit: number): string | undefined {
  const encoding = textEncodingOf(bytes);
  const sample = decodeAs(bytes.subarray(0, SAMPLE_BYTES), encoding, { partial: bytes.length > SAMPLE_BYTES });
  if (sample === undefined || looksBinary(sample)) return undefined;
  // UTF-16 takes 2 bytes per unit; UTF-8 at most 3, Latin-1 exactly 1: this many units at least.
  const fewestUnits = encoding.startsWith("utf-16") ? (bytes.length - 2) / 2 : Math.ceil(bytes.length / 3);
  if (fewestUnits > limit) throw textTooLarge(limit);
  const text = decodeAs(bytes, encoding, { partial: false });
  if (text === undefined || looksBinary(text)) return undefined;
  if (text.length > limit) throw textTooLarge(limit, text.length);
  return text.replace(/\r\n?/g, "\n");
}

function decodeAs(bytes: Uint8Array, encoding: TextEncoding, options: { partial: boolean }): string | undefined {
  const decode = (label: string, body: Uint8Array) => new TextDecoder(label, { fatal: true }).decode(body, { stream: options.partial });
  try {
    if (encoding === "utf-16le" || encoding === "utf-16be") return decode(encoding, bytes.subarray(2));
    return decode("utf-8", bytes);
  } catch {
    // Not UTF-8: a byte-per-character text (Latin-1 / Windows-1252), unless it looks binary.
    if (encoding !== "utf-8") return undefined;
    return decodeWindows1252(bytes);
  }
}

// Windows-1252's characters at 0x80-0x9F (Latin-1 has C1 controls there); undefined ones stay controls.
const WINDOWS_1252_HIGH = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ";

/** Node's TextDecoder decodes "windows-1252" as plain Latin-1, so the 0x80-0x9F range is mapped here. */
function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString("latin1")
    .replace(/[\u0080-\u009f]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80]);
}

/** Control characters other than tab, line breaks and form feed (C1 ones too) mean binary data. */
function looksBinary(text: string): boolean {
  let controls = 0;
  // Control characters are what this looks for.
  // eslint-disable-next-line no-control-regex
  for (const _ of text.matchAll(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g)) controls++;
  return controls > 0 && controls > text.length / 1000;
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
