/**
 * The throughput baseline: the storage work of a batch done with the bare SDKs and nothing
 * else. List the container, then per document at the local host's activity concurrency:
 * read the blob, run the same offline analyzer docbatch uses, write the `.ocr.json` result
 * (conditional, as docbatch writes it), upsert one status row. No orchestration, no status
 * bookkeeping beyond one write, no HTTP API: whatever docbatch adds on top shows in the ratio.
 *
 * Run as a child: `node dist/bench/baseline/bareSdk.js --documents 300 --concurrency 16`.
 */
import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import pLimit from "p-limit";
import type { AnalyzeOptions } from "../../src/analyzers/analyzer.js";
import { createAnalyzerRegistry } from "../../src/analyzers/registry.js";
import { readSettings } from "../../src/config/settings.js";
import { itemRowKey } from "../../src/storage/tableStatusStore.js";
import { startAzurite } from "../../local-host/azurite.js";
import { numberArg, peakRssMb, scenarioMain } from "../lib/childScenario.js";
import { startCpuMeter, type CpuSpent } from "../lib/cpuMeter.js";
import { uploadSmallDocuments } from "../lib/smallDocuments.js";

const MODEL = "prebuilt-read";
/** What analyzeBatch's defaults give every document. */
const DEFAULT_OPTIONS: AnalyzeOptions = { stringIndexType: "textElements", outputContentFormat: "text", features: [], queryFields: [] };

export interface BareSdkResult {
  documents: number;
  concurrency: number;
  seconds: number;
  documentsPerSecond: number;
  peakRssMb: number;
  cpu: CpuSpent;
}

scenarioMain(async (args): Promise<BareSdkResult> => {
  const documents = numberArg(args, "documents");
  const concurrency = numberArg(args, "concurrency");
  const azurite = await startAzurite();
  try {
    const blobService = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const source = blobService.getContainerClient(`src${randomUUID().slice(0, 8)}`);
    const results = blobService.getContainerClient(`res${randomUUID().slice(0, 8)}`);
    await Promise.all([source.create(), results.create()]);
    await uploadSmallDocuments(source, documents);
    const table = TableClient.fromConnectionString(azurite.connectionString, "bareSdkStatus", { allowInsecureConnection: true });
    await table.createTable();
    const registry = createAnalyzerRegistry(readSettings({}));
    const analyzer = await registry.resolve(MODEL);
    if (!analyzer) throw new Error(`no analyzer for ${MODEL}`);
    const batchId = randomUUID();

    const started = performance.now();
    const cpuMeter = startCpuMeter();
    const names: string[] = [];
    for await (const blob of source.listBlobsFlat()) names.push(blob.name);
    const limit = pLimit(concurrency);
    await Promise.all(
      names.map((name, index) =>
        limit(async () => {
          const bytes = await source.getBlobClient(name).downloadToBuffer();
          const analyzedAt = new Date().toISOString();
          const analyzeResult = await analyzer.analyze({ modelId: MODEL, bytes, name, contentType: "text/plain", options: DEFAULT_OPTIONS });
          const body = Buffer.from(JSON.stringify({ status: "succeeded", createdDateTime: analyzedAt, lastUpdatedDateTime: new Date().toISOString(), analyzeResult }), "utf8");
          await results.getBlockBlobClient(`${name}.ocr.json`).upload(body, body.byteLength, {
            blobHTTPHeaders: { blobContentType: "application/json; charset=utf-8" },
            conditions: { ifNoneMatch: "*" },
          });
          await table.upsertEntity({ partitionKey: batchId, rowKey: itemRowKey(index), name, status: "succeeded", updatedDateTime: new Date().toISOString() }, "Replace");
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuMeter();
    await registry.close();
    return { documents: names.length, concurrency, seconds, documentsPerSecond: names.length / seconds, peakRssMb: peakRssMb(), cpu };
  } finally {
    await azurite.stop();
  }
});
