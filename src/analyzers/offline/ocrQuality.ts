/**
 * How readable an OCR result is, from the words alone: a page read upright is mostly
 * dictionary-shaped words at high confidence; a turned page or noise gives short fragments of
 * letters, digits and symbols at middling confidence. Used to decide whether to try the page
 * in other orientations, and whether to warn that a page could not be read.
 */
import type { OcrPage } from "./ocrPool.js";

export interface OcrQuality {
  words: number;
  /** Characters of all words. */
  characters: number;
  /** Characters of words that look like words (letters, or numbers) read with confidence. */
  readableCharacters: number;
  /** Mean word confidence (0-1), weighted by characters; 0 without words. */
  meanConfidence: number;
}

/** Letters (an apostrophe or hyphen inside), or a number, with light punctuation around. */
const WORD_SHAPE = /^[("'‘“]?(?:[\p{L}]{2,}(?:['’-][\p{L}]+)*|[\p{L}]|[$€£]?\d+(?:[.,:/-]\d+)*%?)[)"'’”]?[.,:;!?]?$/u;
const CONFIDENT = 0.7;

export function measureOcrQuality(page: OcrPage): OcrQuality {
  let words = 0;
  let characters = 0;
  let readableCharacters = 0;
  let weightedConfidence = 0;
  for (const paragraph of page.paragraphs) {
    for (const line of paragraph.lines) {
      for (const word of line.words) {
        words++;
        characters += word.text.length;
        weightedConfidence += word.confidence * word.text.length;
        if (word.confidence >= CONFIDENT && WORD_SHAPE.test(word.text) && !isMixedCaseJunk(word.text)) readableCharacters += word.text.length;
      }
    }
  }
  return { words, characters, readableCharacters, meanConfidence: characters ? weightedConfidence / characters : 0 };
}

/** "sEs", "aBcD": a lowercase start before capitals, or capitals inside twice, is what OCR of non-text gives. */
function isMixedCaseJunk(text: string): boolean {
  const letters = text.replace(/[^\p{L}]/gu, "");
  if (/^\p{Ll}.*\p{Lu}/u.test(letters)) return true;
  return (letters.match(/\p{Ll}\p{Lu}/gu)?.length ?? 0) >= 2;
}

/** Below this share of readable characters a page is tried in other orientations, and then warned about. */
const READABLE_SHARE = 0.6;
const READABLE_CONFIDENCE = 0.6;

/** A reason the page reads poorly, or undefined when it reads well (or holds no text at all). */
export function unreadableReason(quality: OcrQuality): string | undefined {
  if (quality.words === 0) return undefined;
  const share = quality.readableCharacters / quality.characters;
  if (share >= READABLE_SHARE && quality.meanConfidence >= READABLE_CONFIDENCE) return undefined;
  return `only ${Math.round(share * 100)} % of the recognized characters form words, at a mean OCR confidence of ${quality.meanConfidence.toFixed(2)}`;
}

/** Orders results: more readable characters wins, confidence breaks ties. */
export function betterQuality(a: OcrQuality, b: OcrQuality): boolean {
  if (a.readableCharacters !== b.readableCharacters) return a.readableCharacters > b.readableCharacters;
  return a.meanConfidence > b.meanConfidence;
}
