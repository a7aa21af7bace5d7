/**
 * Storage requests per item for each front door, counted by a proxy in front of Azurite (the local
 * host keeps Durable state in memory, so all Azurite traffic is docbatch's own), from the door's
 * first request (an upload, a file, the create) until its batch's orchestration completed:
 *
 * - Document Intelligence: N small text documents in a container, one analyzeBatch;
 * - upload batch: N small text documents uploaded one by one, processed with a prompt;
 * - OpenAI batch: an N-line file uploaded through the Files API, run as one batch.
 *
 * Status polls are not counted (the end is observed in the host). Each request is priced at
 * bench/lib/storagePrices.ts.
 *
 * `node dist/bench/scenarios/doorTransactions.js --items 1000`
 */
import { isUnexpected } from "@azure-rest/ai-document-intelligence";
import OpenAI, { toFile } from "openai";
import { startAzurite, shareAzurite } from "../../local-host/azurite.js";
import { startDocbatch, type Docbatch } from "../../test/support/docbatchHost.js";
import { startFakeOpenAiUpstream } from "../../test/support/fakeOpenAiUpstream.js";
import { numberArg, scenarioMain } from "../lib/childScenario.js";
import { smallDocumentBatch, smallDocumentText } from "../lib/smallDocuments.js";
import { priceOf } from "../lib/storagePrices.js";
import { countByOperation, startCountingProxy, type CountingProxy, type StorageRequest } from "../lib/storageRequestCounter.js";

const MODEL = "bench-model";

export interface DoorCount {
  door: string;
  items: number;
  /** Requests from the door's first request until its orchestration completed. */
  requests: number;
  tableRequests: number;
  blobRequests: number;
  /** Entity operations carried by the table requests (an entity-group transaction carries many). */
  tableEntityOperations: number;
  /** USD at bench/lib/storagePrices.ts, for all the requests counted. */
  cost: number;
  operations: { key: string; count: number }[];
}

export interface DoorTransactionsRun {
  items: number;
  doors: DoorCount[];
}

scenarioMain(async (args): Promise<DoorTransactionsRun> => {
  const items = numberArg(args, "items");
  const azurite = await startAzurite();
  const proxy = await startCountingProxy(azurite);
  // startDocbatch takes its storage from useAzurite(), which reads this variable.
  Object.assign(process.env, shareAzurite(proxy.endpoints));
  const fake = await startFakeOpenAiUpstream({ models: [MODEL] });
  fake.script({ answer: () => ({ content: JSON.stringify({ answer: "ok" }) }) });
  let docbatch: Docbatch | undefined;
  try {
    docbatch = await startDocbatch({
      maxConcurrentActivities: 16,
      env: {
        DOCBATCH_LLM_ENDPOINT: fake.baseUrl,
        DOCBATCH_LLM_MODELS: MODEL,
        DOCBATCH_EXTRACTION_MODEL: MODEL,
        DOCBATCH_LLM_REQUESTS_PER_MINUTE: "1000000",
        DOCBATCH_LLM_TOKENS_PER_MINUTE: "1000000000",
      },
    });
    const doors = [
      await counted(proxy, "Document Intelligence", items, (start) => runDocumentIntelligence(docbatch!, items, start), docbatch),
      await counted(proxy, "upload batch", items, (start) => runUploadBatch(docbatch!, items, start), docbatch),
      await counted(proxy, "OpenAI batch", items, (start) => runOpenAiBatch(docbatch!, items, start), docbatch),
    ];
    return { items, doors };
  } finally {
    await docbatch?.close();
    await fake.close();
    await proxy.close();
    await azurite.stop();
  }
});

/** Counts what `run` (which returns its batch id once started) and the batch's orchestration send to storage. */
async function counted(proxy: CountingProxy, door: string, items: number, run: (startCounting: () => void) => Promise<string>, docbatch: Docbatch): Promise<DoorCount> {
  const batchId = await run(() => proxy.startCounting());
  await docbatch.host.durable.waitForInstance(batchId, { timeoutMs: 30 * 60_000 });
  const requests = proxy.stopCounting();
  return summarize(door, items, requests);
}

function summarize(door: string, items: number, requests: readonly StorageRequest[]): DoorCount {
  const table = requests.filter((request) => request.service === "table");
  return {
    door,
    items,
    requests: requests.length,
    tableRequests: table.length,
    blobRequests: requests.filter((request) => request.service === "blob").length,
    tableEntityOperations: table.reduce((sum, request) => sum + (request.batchOperations ?? 1), 0),
    cost: requests.reduce((sum, request) => sum + priceOf(request), 0),
    operations: countByOperation(requests).map(({ key, count }) => ({ key, count })),
  };
}

/** Setup (the source documents) is not counted: the counting starts at the analyzeBatch POST. */
async function runDocumentIntelligence(docbatch: Docbatch, items: number, startCounting: () => void): Promise<string> {
  const { body } = await smallDocumentBatch(docbatch, items);
  startCounting();
  const initial = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", "prebuilt-read").post({ contentType: "application/json", body });
  if (isUnexpected(initial)) throw new Error(`analyzeBatch answered ${initial.status}: ${JSON.stringify(initial.body)}`);
  return new URL(initial.headers["operation-location"]).pathname.split("/").pop()!;
}

/** The uploads are the door's own storage work: counted from the create on. */
async function runUploadBatch(docbatch: Docbatch, items: number, startCounting: () => void): Promise<string> {
  const headers = { authorization: `Bearer ${docbatch.apiKey}` };
  const call = async (path: string, body: BodyInit, json: boolean) => {
    const response = await fetch(`${docbatch.host.url}${path}`, { method: "POST", headers: json ? { ...headers, "content-type": "application/json" } : headers, body });
    if (response.status !== 200) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<{ jobGuid: string }>;
  };
  startCounting();
  const { jobGuid } = await call("/document/batch", JSON.stringify({ maxConcurrency: 8 }), true);
  for (let index = 0; index < items; index++) {
    const form = new FormData();
    form.append("document", new Blob([smallDocumentText(index)], { type: "text/plain" }), `document-${index}.txt`);
    await call(`/document/batch/${jobGuid}/upload`, form, false);
  }
  await call(`/document/batch/${jobGuid}/process`, JSON.stringify({ prompt: "Summarize the document" }), true);
  return jobGuid;
}

/** The input file's upload is counted: it is the door's storage work too. */
async function runOpenAiBatch(docbatch: Docbatch, items: number, startCounting: () => void): Promise<string> {
  const openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0 });
  const lines = Array.from({ length: items }, (_, i) => JSON.stringify({ custom_id: `line-${i}`, method: "POST", url: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: `question ${i}` }], max_tokens: 20 } }));
  startCounting();
  const file = await openai.files.create({ file: await toFile(Buffer.from(`${lines.join("\n")}\n`), "requests.jsonl"), purpose: "batch" });
  const batch = await openai.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
  return batch.id;
}
