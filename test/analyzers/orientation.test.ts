import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { PDFDocument } from "pdf-lib";
import sharp from "sharp";
import { UNREADABLE_PAGE_WARNING } from "../../src/analyzers/analyzeResult.js";
import { createOfflineAnalyzer } from "../../src/analyzers/offline/offlineAnalyzer.js";
import { makeNoiseScan, renderTextPng, SAMPLE_LINES, wordAccuracy, wordsOf, type KnownWord } from "../support/documents.js";
import { boxWithin, options, polygonBox, resultWords, sameOccurrence } from "./helpers.js";

const analyzer = createOfflineAnalyzer({ ocrWorkers: 2, timeoutMs: 120_000 });
after(() => analyzer.close());

const LINES = SAMPLE_LINES.slice(0, 6);
type Box = KnownWord["box"];

/** Where a box of a width × height image lands when the image is turned clockwise by `turn`. */
function turnBox(box: Box, turn: 0 | 90 | 180 | 270, width: number, height: number): Box {
  const point = (x: number, y: number): [number, number] =>
    turn === 90 ? [height - y, x] : turn === 180 ? [width - x, height - y] : turn === 270 ? [y, width - x] : [x, y];
  const corners = [point(box.left, box.top), point(box.right, box.bottom)];
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  return { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
}

describe("offline reader: page orientation", () => {
  const render = renderTextPng(LINES, { dpi: 300 });
  const turns: [0 | 90 | 180 | 270, number][] = [
    [0, 0],
    [90, 90],
    [180, 180],
    [270, -90],
  ];
  for (const [turn, angle] of turns) {
    it(`reads a scan turned ${turn}° clockwise upright, reports angle ${angle}, word polygons on the page as given`, async () => {
      const bytes = await sharp(render.png).rotate(turn).withMetadata({ density: 300 }).png().toBuffer();
      const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes, name: `turned-${turn}.png`, options: options() });
      const page = result.pages[0];
      assert.equal(page.angle, angle);
      const [width, height] = turn % 180 ? [render.height, render.width] : [render.width, render.height];
      assert.deepEqual([page.width, page.height], [width, height]);
      const recall = wordAccuracy(wordsOf(LINES), resultWords(result));
      assert.ok(recall >= 0.95, `recall ${recall}: ${result.content}`);
      assert.equal(result.warnings, undefined);
      for (let i = 0; i < render.words.length; i += 4) {
        const word = sameOccurrence(page.words!, render.words, i);
        assert.ok(word, render.words[i].text);
        const expected = turnBox(render.words[i].box, turn, render.width, render.height);
        assert.ok(boxWithin(polygonBox(word.polygon!), expected, 15), `${word.content}: ${JSON.stringify(word.polygon)} vs ${JSON.stringify(expected)}`);
      }
      // A polygon starts at the word's own top-left as the text reads: for a page turned 90°
      // clockwise that corner is the top-right one on the page.
      const first = page.words![0].polygon!;
      const box = polygonBox(first);
      const corner = turn === 0 ? [box.left, box.top] : turn === 90 ? [box.right, box.top] : turn === 180 ? [box.right, box.bottom] : [box.left, box.bottom];
      assert.deepEqual([first[0], first[1]], corner);
    });
  }

  for (const skew of [-5, 4]) {
    it(`reports a ${skew}° skew as the page's angle and still reads it`, async () => {
      const bytes = await sharp(render.png).rotate(skew, { background: "#ffffff" }).withMetadata({ density: 300 }).png().toBuffer();
      const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes, name: "skewed.png", options: options() });
      const page = result.pages[0];
      assert.ok(Math.abs(page.angle! - skew) <= 1, `angle ${page.angle}`);
      assert.ok(wordAccuracy(wordsOf(LINES), resultWords(result)) >= 0.95, result.content);
      for (const word of page.words!) {
        const box = polygonBox(word.polygon!);
        assert.ok(box.left >= -2 && box.top >= -2 && box.right <= page.width! + 2 && box.bottom <= page.height! + 2, JSON.stringify(word));
      }
    });
  }

  it("reads a scanned PDF page turned 90° counter-clockwise upright (angle -90, inches on the page as given)", async () => {
    const dpi = 200;
    const scan = renderTextPng(LINES, { dpi });
    const turned = await sharp(scan.png).rotate(270).png().toBuffer();
    const pdf = await PDFDocument.create();
    const page = pdf.addPage([(scan.height / dpi) * 72, (scan.width / dpi) * 72]);
    page.drawImage(await pdf.embedPng(turned), { x: 0, y: 0, width: page.getWidth(), height: page.getHeight() });
    const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: await pdf.save(), name: "turned.pdf", options: options() });
    const read = result.pages[0];
    assert.equal(read.angle, -90);
    assert.ok(wordAccuracy(wordsOf(LINES), resultWords(result)) >= 0.95, result.content);
    for (const word of read.words!) {
      const box = polygonBox(word.polygon!);
      assert.ok(box.left >= 0 && box.top >= 0 && box.right <= read.width! + 0.01 && box.bottom <= read.height! + 0.01, JSON.stringify(word));
    }
  });

  it("a page of noise still succeeds, with a warning naming the page", async () => {
    const text = renderTextPng(LINES.slice(0, 2), { dpi: 300 });
    const tiff = await sharp([text.png, await makeNoiseScan({ width: text.width, height: text.height })], { join: { animated: true } })
      .tiff({ compression: "lzw" })
      .toBuffer();
    const result = await analyzer.analyze({ modelId: "prebuilt-read", bytes: tiff, name: "noise.tif", options: options() });
    assert.equal(result.pages.length, 2);
    assert.deepEqual(
      result.warnings?.map((warning) => [warning.code, warning.target]),
      [[UNREADABLE_PAGE_WARNING, "/pages/1"]],
    );
    assert.match(result.warnings![0].message, /Page 2 /);
  });
});
