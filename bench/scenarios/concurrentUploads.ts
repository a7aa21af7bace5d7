/**
 * Uploads to one upload batch from C clients at once: N small text documents over HTTP, each
 * upload's latency recorded. Reports uploads/s, latency percentiles of the first and the last
 * tenth (flat when an upload's cost does not grow with the batch), and whether the indexes handed
 * out are 0..N-1 exactly once.
 *
 * `node dist/bench/scenarios/concurrentUploads.js --uploads 2000 --clients 16`
 */
import pLimit from "p-limit";
import { startDocbatch } from "../../test/support/docbatchHost.js";
import { numberArg, scenarioMain } from "../lib/childScenario.js";
import { smallDocumentText } from "../lib/smallDocuments.js";

export interface ConcurrentUploadsRun {
  uploads: number;
  clients: number;
  seconds: number;
  uploadsPerSecond: number;
  firstTenthMs: { p50: number; p99: number };
  lastTenthMs: { p50: number; p99: number };
  /** Indexes 0..N-1, each exactly once. */
  indexesDense: boolean;
}

scenarioMain(async (args): Promise<ConcurrentUploadsRun> => {
  const uploads = numberArg(args, "uploads");
  const clients = numberArg(args, "clients");
  const docbatch = await startDocbatch({ env: { DOCBATCH_UPLOAD_MAX_DOCUMENTS: String(Math.max(uploads, 10_000)) } });
  const headers = { authorization: `Bearer ${docbatch.apiKey}` };
  try {
    const created = await fetch(`${docbatch.host.url}/document/batch`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" });
    const { jobGuid } = (await created.json()) as { jobGuid: string };
    const limit = pLimit(clients);
    const latencies: number[] = new Array(uploads);
    const indexes: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: uploads }, (_, i) =>
        limit(async () => {
          const form = new FormData();
          form.append("document", new Blob([smallDocumentText(i)], { type: "text/plain" }), `document-${i}.txt`);
          const at = performance.now();
          const response = await fetch(`${docbatch.host.url}/document/batch/${jobGuid}/upload`, { method: "POST", headers, body: form });
          if (response.status !== 200) throw new Error(`upload ${i}: ${response.status} ${await response.text()}`);
          indexes.push(((await response.json()) as { index: number }).index);
          latencies[i] = performance.now() - at;
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const tenth = Math.max(1, Math.floor(uploads / 10));
    const sorted = [...indexes].sort((a, b) => a - b);
    return {
      uploads,
      clients,
      seconds,
      uploadsPerSecond: uploads / seconds,
      firstTenthMs: percentiles(latencies.slice(0, tenth)),
      lastTenthMs: percentiles(latencies.slice(-tenth)),
      indexesDense: sorted.length === uploads && sorted.every((index, i) => index === i),
    };
  } finally {
    await docbatch.close();
  }
});

function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}
