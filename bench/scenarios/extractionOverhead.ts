/**
 * docbatch's own time per document in an upload batch, outside the upstream call: reading the
 * document (offline reader), then building the prompt, checking the answer against the schema
 * and locating the values (the rest of extractDocument), with an upstream that answers at once
 * in-process, so nothing of the network or the model is in the figures.
 *
 * `node dist/bench/scenarios/extractionOverhead.js --rounds 30`
 */
import { extractDocument } from "../../src/analyzers/llmExtraction/extractDocument.js";
import { readDocumentText } from "../../src/analyzers/llmExtraction/documentText.js";
import { parseExtractionSchema } from "../../src/analyzers/llmExtraction/extractionSchema.js";
import { createAnalyzerRegistry } from "../../src/analyzers/registry.js";
import { readSettings } from "../../src/config/settings.js";
import type { LlmUpstream } from "../../src/llm/upstream.js";
import { makeDocx, makePlainText, makeTextPdf, SAMPLE_LINES } from "../../test/support/documents.js";
import { numberArg, scenarioMain } from "../lib/childScenario.js";

export interface OverheadRow {
  document: string;
  bytes: number;
  /** Medians, milliseconds per document. */
  readingMs: number;
  extractionTotalMs: number;
  promptAndValidationMs: number;
}

const SCHEMA = parseExtractionSchema('{"statements":[{"date":"date","customer":"string","total":"number"}]}');
const ANSWER = JSON.stringify({ statements: [{ date: "2024-01-31", customer: SAMPLE_LINES[0]!.split(" ").slice(0, 2).join(" "), total: 12.5 }] });

/** An upstream that answers at once, in-process. */
const instantUpstream: LlmUpstream = {
  serves: () => true,
  send: async () => ({
    status: 200,
    headers: {},
    requestId: "bench",
    body: { choices: [{ index: 0, message: { role: "assistant", content: ANSWER }, finish_reason: "stop" }] },
    usage: { inputTokens: 300, cachedTokens: 0, outputTokens: 30, reasoningTokens: 0, totalTokens: 330 },
  }),
};

scenarioMain(async (args): Promise<OverheadRow[]> => {
  const rounds = numberArg(args, "rounds");
  const analyzers = createAnalyzerRegistry(readSettings({}));
  const pdf = await makeTextPdf([{ blocks: [{ lines: SAMPLE_LINES }] }, { blocks: [{ lines: SAMPLE_LINES }] }]);
  const documents = [
    { document: "text PDF, 2 pages", name: "a.pdf", bytes: pdf.bytes },
    { document: "DOCX", name: "a.docx", bytes: await makeDocx() },
    { document: "plain text", name: "a.txt", bytes: makePlainText() },
  ];
  const rows: OverheadRow[] = [];
  try {
    for (const document of documents) {
      const reading: number[] = [];
      const total: number[] = [];
      for (let round = 0; round < rounds + 2; round++) {
        const readStart = performance.now();
        await readDocumentText({ analyzers, bytes: document.bytes, name: document.name, ocr: "DEFAULT" });
        const readEnd = performance.now();
        await extractDocument({ analyzers, upstream: () => instantUpstream }, document, { prompt: "Extract the statements", schema: SCHEMA, ocr: "DEFAULT", textOnly: false, model: "bench", contextTokens: 100_000, maxOutputTokens: 1024 });
        const extractEnd = performance.now();
        if (round < 2) continue; // warm-up (workers starting, JIT)
        reading.push(readEnd - readStart);
        total.push(extractEnd - readEnd);
      }
      const readingMs = median(reading);
      const extractionTotalMs = median(total);
      rows.push({ document: document.document, bytes: document.bytes.byteLength, readingMs, extractionTotalMs, promptAndValidationMs: Math.max(0, extractionTotalMs - readingMs) });
    }
  } finally {
    await analyzers.close();
  }
  return rows;
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
