/**
 * Storage requests docbatch sends, counted by a proxy in front of Azurite (the local host keeps
 * Durable state in memory, so all Azurite traffic is docbatch's own):
 *
 * 1. a batch of N small text documents, from the analyzeBatch POST until the orchestration
 *    completed (waited for through the host, not by polling, so no status reads are counted);
 * 2. one status poll (GET analyzeBatchResults/{id}) of that batch;
 * 3. one poll each of a 10-document and a 10,000-document batch whose status rows were written
 *    directly, to show that the summary part of a poll does not grow with the batch and only the
 *    detail pages do.
 *
 * `node dist/bench/scenarios/storage.js --documents 1000`
 */
import { isUnexpected } from "@azure-rest/ai-document-intelligence";
import { startAzurite, shareAzurite } from "../../local-host/azurite.js";
import { newBatchId } from "../../src/engine/batchIds.js";
import type { BatchRecord } from "../../src/engine/model.js";
import { DOCUMENT_INTELLIGENCE_KIND, type DocumentIntelligenceSpec } from "../../src/kinds/documentIntelligence/spec.js";
import { createAppServices } from "../../src/services/appServices.js";
import { createContainer, sasUrlFor, startDocbatch, type Docbatch } from "../../test/support/docbatchHost.js";
import { numberArg, scenarioMain } from "../lib/childScenario.js";
import { uploadSmallDocuments, smallDocumentName } from "../lib/smallDocuments.js";
import { countByOperation, startCountingProxy, type CountingProxy, type StorageRequest } from "../lib/storageRequestCounter.js";

const MODEL = "prebuilt-read";
const API_VERSION = "2024-11-30";
const TABLE_PREFIX = "benchstorage";

export interface OperationCount {
  key: string;
  service: string;
  operation: string;
  count: number;
  /** Entity operations carried inside entity-group transactions. */
  batchOperations: number;
}

export interface PollCount {
  documents: number;
  total: number;
  /** Requests that read detail pages (document rows); the rest is the summary. */
  detailPages: number;
  summary: number;
  operations: OperationCount[];
}

export interface StorageRun {
  documents: number;
  batchStatus: string;
  totalRequests: number;
  requestsPerDocument: number;
  byService: Record<string, number>;
  operations: OperationCount[];
  pollOfThisBatch: PollCount;
  pollSmall: PollCount;
  pollLarge: PollCount;
}

scenarioMain(async (args): Promise<StorageRun> => {
  const documents = numberArg(args, "documents");
  const largePoll = numberArg(args, "large-poll", 10_000);
  const azurite = await startAzurite();
  const proxy = await startCountingProxy(azurite);
  // startDocbatch takes its storage from useAzurite(), which reads this variable: the app, the
  // test helpers and the SAS URLs then all go through the counting proxy.
  Object.assign(process.env, shareAzurite(proxy.endpoints));
  let docbatch: Docbatch | undefined;
  try {
    docbatch = await startDocbatch({ env: { DOCBATCH_TABLE_PREFIX: TABLE_PREFIX } });
    const source = await createContainer(docbatch.blobService);
    const results = await createContainer(docbatch.blobService);
    await uploadSmallDocuments(source, documents);
    roles.set(source.containerName, "source").set(results.containerName, "results");
    const body = {
      azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
      resultContainerUrl: await sasUrlFor(results, docbatch.azurite, "rwlc"),
    };

    proxy.startCounting();
    const initial = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", MODEL).post({ contentType: "application/json", body });
    if (isUnexpected(initial)) throw new Error(`analyzeBatch answered ${initial.status}: ${JSON.stringify(initial.body)}`);
    const batchId = new URL(initial.headers["operation-location"]).pathname.split("/").pop()!;
    await docbatch.host.durable.waitForInstance(batchId, { timeoutMs: 30 * 60_000 });
    const batchRequests = proxy.stopCounting();

    const pollOfThisBatch = await countPoll(docbatch, proxy, batchId, documents);
    const batchStatus = await readStatus(docbatch, batchId);

    const small = await writeSyntheticBatch(source.url, results.url, 10);
    const large = await writeSyntheticBatch(source.url, results.url, largePoll);
    const pollSmall = await countPoll(docbatch, proxy, small, 10);
    const pollLarge = await countPoll(docbatch, proxy, large, largePoll);

    const byService: Record<string, number> = {};
    for (const request of batchRequests) byService[request.service] = (byService[request.service] ?? 0) + 1;
    return {
      documents,
      batchStatus,
      totalRequests: batchRequests.length,
      requestsPerDocument: batchRequests.length / documents,
      byService,
      operations: describe(batchRequests),
      pollOfThisBatch,
      pollSmall,
      pollLarge,
    };
  } finally {
    await docbatch?.close();
    await proxy.close();
    await azurite.stop();
  }
});

/** What a request touched, named by role: a status table (Batches, Documents) or a container (source, results). */
const roles = new Map<string, string>();

function describe(requests: readonly StorageRequest[]): OperationCount[] {
  const labelled = requests.map((request) => {
    const role = roles.get(request.resource) ?? (request.resource.startsWith(TABLE_PREFIX) ? request.resource.slice(TABLE_PREFIX.length) : request.resource);
    return { ...request, operation: role ? `${request.operation} ${role}` : request.operation };
  });
  return countByOperation(labelled).map(({ key, service, operation, count, batchOperations }) => ({ key, service, operation, count, batchOperations }));
}

/** One GET of the batch's status with the official client, body read to the end. */
async function countPoll(docbatch: Docbatch, proxy: CountingProxy, batchId: string, documents: number): Promise<PollCount> {
  proxy.startCounting();
  const response = await docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", MODEL, batchId).get();
  const requests = proxy.stopCounting();
  if (isUnexpected(response)) throw new Error(`status answered ${response.status}`);
  const details = (response.body as { result?: { details?: unknown[] } }).result?.details?.length ?? 0;
  if (details !== documents) throw new Error(`poll returned ${details} details, expected ${documents}`);
  const detailPages = requests.filter(isDetailPageRead).length;
  return { documents, total: requests.length, detailPages, summary: requests.length - detailPages, operations: describe(requests) };
}

/** Document rows are `d<index>`; counter shards `c<shard>` (see src/storage/tableStatusStore.ts). */
function isDetailPageRead(request: StorageRequest): boolean {
  return request.service === "table" && request.operation === "QueryEntities" && /RowKey ge 'd/.test(request.filter ?? "");
}

async function readStatus(docbatch: Docbatch, batchId: string): Promise<string> {
  const response = await docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", MODEL, batchId).get();
  if (isUnexpected(response)) throw new Error(`status answered ${response.status}`);
  return response.body.status;
}

/** A finished batch of `count` documents, its rows written with the status store itself (setup, not counted). */
async function writeSyntheticBatch(sourceUrl: string, resultUrl: string, count: number): Promise<string> {
  const { store } = createAppServices(process.env);
  const batchId = newBatchId();
  const now = new Date().toISOString();
  const spec: DocumentIntelligenceSpec = {
    modelId: MODEL,
    apiVersion: API_VERSION,
    source: { kind: "container", url: sourceUrl, prefix: "" },
    resultUrl,
    resultPrefix: "",
    overwriteExisting: false,
    options: { stringIndexType: "textElements", outputContentFormat: "text", features: [], queryFields: [] },
  };
  const batch: BatchRecord = {
    kind: DOCUMENT_INTELLIGENCE_KIND,
    batchId,
    status: "succeeded",
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    completedAt: now,
    itemCount: count,
    itemsPerLeaf: 100,
    cancelRequested: false,
    deleted: false,
    spec: JSON.stringify(spec),
    labels: { modelId: MODEL },
  };
  await store.createBatch(batch);
  const names = Array.from({ length: count }, (_, index) => ({ name: smallDocumentName(index) }));
  for (let first = 0; first < count; first += 1000) await store.addItems(batchId, first, names.slice(first, first + 1000));
  return batchId;
}
