import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createContainer, listBlobNames, readJsonBlob, sasUrlFor, startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { runPythonJson } from "../support/python.js";

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

  test("begin_analyze_batch_documents(...).result() runs a batch to the end over plain http with a key", async () => {
    const source = await createContainer(docbatch.blobService, {
      "scans/a.txt": "Alpha from Python",
      "scans/deep/b.md": "# Bravo\n\nfrom Python",
      "scans/broken.pdf": "%PDF-1.7 this is not a PDF",
    });
    const results = await createContainer(docbatch.blobService);
    const outcome = await runPythonJson<PythonBatchOutcome>(
      { script: "di_batch.py" },
      {
        env: {
          DOCBATCH_URL: docbatch.host.url,
          DOCBATCH_KEY: docbatch.apiKey,
          SOURCE_CONTAINER_URL: await sasUrlFor(source, docbatch.azurite, "rl"),
          SOURCE_PREFIX: "scans/",
          RESULT_CONTAINER_URL: await sasUrlFor(results, docbatch.azurite, "rwlc"),
          RESULT_PREFIX: "ocr/",
        },
      },
    );
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
});
