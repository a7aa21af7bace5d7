import { runScenario } from "../lib/childScenario.js";
import type { SectionResult } from "../lib/sectionResult.js";
import type { PollCount, StorageRun } from "../scenarios/storage.js";

/** Storage requests per document of a batch, and per status poll, counted at a proxy in front of Azurite. */
export async function runStorageBenchmark({ quick }: { quick: boolean }): Promise<SectionResult> {
  const documents = quick ? 200 : 1_000;
  const largePoll = 10_000;
  process.stderr.write(`  storage: batch of ${documents} documents, polls of 10 and ${largePoll} documents...\n`);
  const run = await runScenario<StorageRun>("scenarios/storage", { documents, "large-poll": largePoll }, { timeoutMs: 15 * 60_000 });
  const notes = [
    `Counted from the analyzeBatch POST until the orchestration completed (observed in the host, so no status polls are included); setup uploads are not counted. Batch ended ${run.batchStatus}.`,
    "An entity-group transaction is one request (and one billed transaction) carrying several entity operations; their number is in the last column.",
    `A status poll reads the batch row and the counter shards (the summary), then the document rows page by page (details). Summary requests: ${run.pollSmall.summary} for 10 documents, ${run.pollLarge.summary} for ${largePoll.toLocaleString("en-US")} — ${run.pollSmall.summary === run.pollLarge.summary ? "the same" : "NOT the same"}.`,
  ];
  if (quick) notes.unshift(`Quick mode: a batch of ${documents} documents (full run: 1,000).`);
  const pollRow = (label: string, poll: PollCount) => [label, poll.documents, poll.total, poll.summary, poll.detailPages];
  return {
    section: "storage",
    targetMet: run.pollSmall.summary === run.pollLarge.summary,
    tables: [
      {
        title: `Storage requests for a batch of ${documents} small text documents`,
        headers: ["service operation (target)", "requests", "per document", "entity ops in transactions"],
        rows: [
          ...run.operations.map((op) => [op.key, op.count, op.count / documents, op.batchOperations || undefined]),
          ...Object.entries(run.byService).map(([service, count]) => [`all ${service}`, count, count / documents, undefined]),
          ["all", run.totalRequests, run.requestsPerDocument, undefined],
        ],
      },
      {
        title: "Requests of one status poll (GET analyzeBatchResults/{id}, details streamed)",
        headers: ["batch", "documents", "requests", "summary part", "detail pages"],
        rows: [pollRow("this batch", run.pollOfThisBatch), pollRow("10 documents", run.pollSmall), pollRow("10,000 documents", run.pollLarge)],
      },
    ],
    notes,
    data: run,
  };
}
