/**
 * One big plain-text document through the offline reader, as a batch document goes: analyze,
 * serialize the `.ocr.json`, encode it for the upload. Reports the outcome and the process's
 * peak RSS (run in a child process of its own, so the figure is this document's alone).
 *
 *   node dist/bench/scenarios/bigText.js --mb 20 [--maxTextCharacters 4000000]
 */
import { AnalyzerError } from "../../src/analyzers/analyzer.js";
import { createOfflineAnalyzer } from "../../src/analyzers/offline/offlineAnalyzer.js";
import { numberArg, peakRssMb, scenarioMain } from "../lib/childScenario.js";

/** A one-line text of about `bytes` bytes: words of 3-9 letters separated by single spaces. */
export function oneLineText(bytes: number): Buffer {
  const text = Buffer.alloc(bytes, 0x20);
  let at = 0;
  for (let word = 0; at < bytes; word++) {
    const length = 3 + (word % 7);
    for (let i = 0; i < length && at < bytes; i++) text[at++] = 0x61 + ((word * 7 + i) % 26);
    at++;
  }
  return text;
}

scenarioMain(async (args) => {
  const bytes = Math.round(numberArg(args, "mb") * 1024 * 1024);
  const maxTextCharacters = args.has("maxTextCharacters") ? numberArg(args, "maxTextCharacters") : undefined;
  const document = oneLineText(bytes);
  const baselineMb = peakRssMb();
  const analyzer = createOfflineAnalyzer({ ocrWorkers: 1, timeoutMs: 600_000, maxTextCharacters });
  const started = performance.now();
  let outcome: string;
  let resultMb = 0;
  try {
    const analyzeResult = await analyzer.analyze({
      modelId: "prebuilt-read",
      bytes: document,
      name: "big.txt",
      options: { stringIndexType: "textElements", outputContentFormat: "text", features: [], queryFields: [] },
    });
    const upload = Buffer.from(JSON.stringify({ status: "succeeded", analyzeResult }), "utf8");
    resultMb = upload.byteLength / 1024 / 1024;
    outcome = "succeeded";
  } catch (error) {
    outcome = error instanceof AnalyzerError ? `failed: ${error.code}` : `crashed: ${(error as Error).message}`;
  } finally {
    await analyzer.close();
  }
  return {
    documentMb: bytes / 1024 / 1024,
    maxTextCharacters: maxTextCharacters ?? null,
    outcome,
    seconds: (performance.now() - started) / 1000,
    resultMb,
    baselineRssMb: baselineMb,
    peakRssMb: peakRssMb(),
  };
});
