import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { ContainerClient } from "@azure/storage-blob";
import sharp from "sharp";
import { createContainer, listBlobNames, readJsonBlob, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { runPythonJson } from "../support/python.js";
import { makeNoiseScan, renderTextPng, SAMPLE_LINES } from "../support/documents.js";
import { INVOICE_TABLE, makeTableDocx, makeTablePdf, numberedTable } from "../support/tables.js";

interface PythonBatchOutcome {
  status: string;
  result: {
    succeededCount: number;
    failedCount: number;
    skippedCount: number;
    details: { status: string; sourceUrl: string; resultUrl?: string; error?: { code: string; message: string } }[];
  };
}

describe("Document Intelligence batch analysis through the official Python client", () => {
  let docbatch: Docbatch;
  before(async () => {
    docbatch = await startDocbatch({ checkOpenApi: true });
  });
  after(async () => docbatch?.close());

  /** One batch through di_batch.py (begin_analyze_batch_documents(...).result()). */
  const runBatch = async (batch: { source: ContainerClient; results: ContainerClient; prefix: string; env: Record<string, string>; timeoutMs?: number }) =>
    runPythonJson<PythonBatchOutcome>(
      { script: "di_batch.py" },
      {
        env: {
          DOCBATCH_URL: docbatch.host.url,
          DOCBATCH_KEY: docbatch.apiKey,
          SOURCE_CONTAINER_URL: await sasUrlFor(batch.source, docbatch.azurite, "rl"),
          SOURCE_PREFIX: batch.prefix,
          RESULT_CONTAINER_URL: await sasUrlFor(batch.results, docbatch.azurite, "rwlc"),
          ...batch.env,
        },
        ...(batch.timeoutMs ? { timeoutMs: batch.timeoutMs } : {}),
      },
    );

  test("begin_analyze_batch_documents(...).result() runs a batch to the end over plain http with a key", async () => {
    const source = await createContainer(docbatch.blobService, {
      "scans/a.txt": "Alpha from Python",
      "scans/deep/b.md": "# Bravo\n\nfrom Python",
      "scans/broken.pdf": "%PDF-1.7 this is not a PDF",
    });
    const results = await createContainer(docbatch.blobService);
    const outcome = await runBatch({ source, results, prefix: "scans/", env: { RESULT_PREFIX: "ocr/" } });
    assert.equal(outcome.status, "succeeded");
    assert.deepEqual(
      [outcome.result.succeededCount, outcome.result.failedCount, outcome.result.skippedCount],
      [2, 1, 0],
    );
    const broken = outcome.result.details.find((detail) => detail.sourceUrl.endsWith("scans/broken.pdf"));
    assert.equal(broken?.status, "failed");
    assert.ok(broken?.error?.code && broken.error.message, "the failed document carries its error");
    assert.deepEqual(await listBlobNames(results), ["ocr/a.txt.ocr.json", "ocr/deep/b.md.ocr.json"]);
    const alpha = await readJsonBlob(results, "ocr/a.txt.ocr.json");
    assert.match(alpha.analyzeResult.content, /Alpha from Python/);
  });

  test("prebuilt-layout results (tables, merged cells, roles, turned scans, warnings) parse into the client's AnalyzeResult model", async () => {
    const turned = renderTextPng(SAMPLE_LINES.slice(0, 4), { dpi: 300 });
    const source = await createContainer(docbatch.blobService, {
      "in/invoice.docx": await makeTableDocx(INVOICE_TABLE, { title: "Invoice" }),
      "in/merged.html": new TextEncoder().encode('<html><body><table><tr><th>Region</th><th colspan="2">Sales</th></tr><tr><td>North</td><td>1</td><td>2</td></tr></table></body></html>'),
      "in/long.pdf": await makeTablePdf(numberedTable(30), { style: "ruled", rowsPerPage: 18 }),
      "in/turned.png": await sharp(turned.png).rotate(90).withMetadata({ density: 300 }).png().toBuffer(),
      "in/noise.png": await makeNoiseScan({ width: 600, height: 400 }),
    });
    const results = await createContainer(docbatch.blobService);
    const outcome = await runBatch({ source, results, prefix: "in/", env: { MODEL_ID: "prebuilt-layout" }, timeoutMs: 240_000 });
    assert.equal(outcome.result.succeededCount, 5, JSON.stringify(outcome.result.details));
    const folder = await mkdtemp(path.join(tmpdir(), "docbatch-di-results-"));
    const files: string[] = [];
    for (const name of await listBlobNames(results)) {
      const file = path.join(folder, path.basename(name));
      await writeFile(file, JSON.stringify(await readJsonBlob(results, name)));
      files.push(file);
    }
    const parsed = await runPythonJson<Record<string, { angles: number[]; roles: string[]; tables: { rows: number; columns: number; headers: string[]; merged: number[][]; pages: number[] }[]; warnings: string[][] }>>(
      { script: "di_result.py" },
      { args: files },
    );
    assert.deepEqual(parsed["invoice.docx.ocr.json"].tables.map((t) => [t.rows, t.columns, t.headers]), [[5, 4, INVOICE_TABLE[0]]]);
    assert.deepEqual(parsed["invoice.docx.ocr.json"].roles, ["title"]);
    assert.deepEqual(parsed["merged.html.ocr.json"].tables[0].merged, [[1, 2]]);
    assert.deepEqual(parsed["long.pdf.ocr.json"].tables.map((t) => [t.rows, t.columns, t.pages]), [[31, 4, [1, 2]]]);
    assert.deepEqual(parsed["turned.png.ocr.json"].angles, [90]);
    assert.deepEqual(parsed["turned.png.ocr.json"].warnings, []);
    assert.deepEqual(parsed["noise.png.ocr.json"].warnings, [["PageNotReadable", "/pages/0"]]);
  });
});
