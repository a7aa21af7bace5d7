import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import sharp from "sharp";
import { AnalyzerError } from "../../src/analyzers/analyzer.js";
import { decodeBmp } from "../../src/analyzers/offline/bmp.js";
import { createOfflineAnalyzer } from "../../src/analyzers/offline/offlineAnalyzer.js";
import { encodeBmp, makeTextImage, renderTextPng, SAMPLE_LINES, wordAccuracy, wordsOf, type ImageFormat } from "../support/documents.js";
import { boxWithin, options, polygonBox, resultWords, sameOccurrence, spanText } from "./helpers.js";

const analyzer = createOfflineAnalyzer({ ocrWorkers: 2, timeoutMs: 60_000 });
after(() => analyzer.close());

describe("offline reader: images", () => {
  const cases: [ImageFormat, number][] = [
    ["png", 300],
    ["png", 150],
    ["jpeg", 300],
    ["jpeg", 150],
    ["webp", 300],
    ["bmp", 300],
  ];
  for (const [format, dpi] of cases) {
    it(`OCRs ${format} at ${dpi} dpi: ≥ 98% of words, pixel positions, confidences`, async () => {
      const lines = SAMPLE_LINES.slice(0, 5);
      const image = await makeTextImage(format, [lines], { dpi });
      const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: image.bytes, name: `scan.${format}`, options: options() });
      assert.equal(result.pages.length, 1);
      const page = result.pages[0];
      assert.deepEqual([page.unit, page.width, page.height], ["pixel", image.renders[0].width, image.renders[0].height]);
      const accuracy = wordAccuracy(wordsOf(lines), resultWords(result));
      assert.ok(accuracy >= 0.98, `accuracy ${accuracy}: ${result.content}`);
      const tolerance = dpi / 20; // 0.05 inch
      for (let i = 0; i < image.words.length; i += 5) {
        const expected = image.words[i];
        const word = sameOccurrence(page.words!, image.words, i);
        assert.ok(word, expected.text);
        assert.ok(boxWithin(polygonBox(word.polygon!), expected.box, tolerance), `${expected.text}: ${JSON.stringify(word.polygon)} vs ${JSON.stringify(expected.box)}`);
      }
      for (const word of page.words!) {
        assert.ok(word.confidence >= 0 && word.confidence <= 1);
        assert.equal(spanText(result.content, word.span, "textElements"), word.content);
      }
    });
  }

  it("reads every page of a multi-page TIFF, and only the selected ones with pages", async () => {
    const pages = [SAMPLE_LINES.slice(0, 2), SAMPLE_LINES.slice(2, 4), SAMPLE_LINES.slice(4, 6)];
    const tiff = await makeTextImage("tiff", pages, { dpi: 300 });
    const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: tiff.bytes, name: "scan.tif", options: options() });
    assert.deepEqual(result.pages.map((page) => page.pageNumber), [1, 2, 3]);
    for (const [i, page] of result.pages.entries()) {
      const words = page.words!.map((word) => word.content);
      assert.ok(wordAccuracy(wordsOf(pages[i]), words) >= 0.98, words.join(" "));
    }
    const second = await analyzer.analyze({ modelId: "prebuilt-read", bytes: tiff.bytes, name: "scan.tif", options: options({ pages: "2" }) });
    assert.deepEqual(second.pages.map((page) => page.pageNumber), [2]);
    await assert.rejects(
      analyzer.analyze({ modelId: "prebuilt-read", bytes: tiff.bytes, name: "scan.tif", options: options({ pages: "4-5" }) }),
      (error: unknown) => error instanceof AnalyzerError && error.code === "InvalidPages",
    );
  });

  it("decodes BMP pixels exactly", async () => {
    const render = renderTextPng(["BMP"], { dpi: 72 });
    const decoded = decodeBmp(await encodeBmp(render.png));
    const reference = await sharp(render.png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([decoded.width, decoded.height], [reference.info.width, reference.info.height]);
    assert.ok(decoded.data.equals(reference.data));
  });

  it("a truncated image fails with InvalidContent", async () => {
    const image = await makeTextImage("png", [SAMPLE_LINES.slice(0, 1)]);
    await assert.rejects(
      analyzer.analyze({ modelId: "prebuilt-read", bytes: image.bytes.subarray(0, 200), name: "x.png", options: options() }),
      (error: unknown) => error instanceof AnalyzerError && error.code === "InvalidContent",
    );
  });
});

/** Dense noise keeps the OCR engine busy for far longer than any limit used here. */
async function noisePng(size = 3000): Promise<Buffer> {
  const noise = Buffer.alloc(size * size);
  for (let i = 0; i < noise.length; i++) noise[i] = (Math.imul(i, 2654435761) >>> 13) & 1 ? 0 : 255;
  return sharp(noise, { raw: { width: size, height: size, channels: 1 } }).png().toBuffer();
}

describe("offline reader: time limit", () => {
  it("fails a document whose signal aborts with Timeout, recycles the stuck worker and stays usable", async () => {
    const png = await noisePng();
    await assert.rejects(
      analyzer.analyze({ modelId: "prebuilt-read", bytes: png, name: "noise.png", options: options(), signal: AbortSignal.timeout(300) }),
      (error: unknown) => error instanceof AnalyzerError && error.code === "Timeout",
    );
    const startedBefore = analyzer.ocr.workersStarted;
    // Both workers serve the next documents: the recycled one is started afresh.
    const small = await makeTextImage("png", [["Still working"]], { dpi: 300 });
    const results = await Promise.all(
      [1, 2].map(() => analyzer.analyze({ modelId: "prebuilt-read", bytes: small.bytes, name: "small.png", options: options() })),
    );
    for (const result of results) assert.deepEqual(resultWords(result), ["Still", "working"]);
    assert.ok(analyzer.ocr.workersStarted >= startedBefore + 1, "a fresh worker replaced the stuck one");
  });

  it("applies the analyzer's own time limit (analyzeTimeoutMs)", async () => {
    const limited = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 250 });
    try {
      await assert.rejects(
        limited.analyze({ modelId: "prebuilt-read", bytes: await noisePng(), name: "noise.png", options: options() }),
        (error: unknown) => error instanceof AnalyzerError && error.code === "Timeout",
      );
    } finally {
      await limited.close();
    }
  });

  it("aborts through the caller's signal too (batch canceled)", async () => {
    const controller = new AbortController();
    controller.abort(new Error("batch canceled"));
    const image = await makeTextImage("png", [["Aborted"]]);
    await assert.rejects(
      analyzer.analyze({ modelId: "prebuilt-read", bytes: image.bytes, name: "x.png", options: options(), signal: controller.signal }),
      (error: unknown) => error instanceof AnalyzerError && error.code === "Timeout",
    );
  });
});
