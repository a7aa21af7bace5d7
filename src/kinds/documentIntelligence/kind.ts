import pLimit from "p-limit";
import type { AnalyzerRegistry } from "../../analyzers/registry.js";
import { AnalyzerError } from "../../analyzers/analyzer.js";
import type { DocbatchSettings } from "../../config/settings.js";
import type { BatchKind, ItemResult } from "../../engine/batchKind.js";
import { ItemError } from "../../engine/itemError.js";
import type { BatchRecord, ItemRecord, ItemSeed } from "../../engine/model.js";
import { blobPathProblem } from "../../storage/blobPath.js";
import { StorageUrlError } from "../../storage/containerUrl.js";
import { isResultName, resultBlobName, writeResult } from "../../storage/resultWriter.js";
import { isStatus } from "../../storage/tableStatusStore.js";
import { listContainerDocuments, readFileList, SourceError, toSourceError } from "../../storage/sourceListing.js";
import { openBatchContainers, type ContainerServices } from "./containers.js";
import { contentTooLarge, diItemError, documentError, invalidRequest, resultWriteError } from "./documentErrors.js";
import { DOCUMENT_INTELLIGENCE_KIND, relativeSourcePath, specOf, type DocumentIntelligenceSpec } from "./spec.js";
import { documentIntelligenceBatchEvent } from "./finalEvent.js";

export interface DocumentIntelligenceKindServices extends ContainerServices {
  settings: Pick<DocbatchSettings, "maxDocumentsPerBatch" | "maxDocumentBytes" | "analyzeTimeoutMs">;
  analyzers: AnalyzerRegistry;
  now(): Date;
}

/**
 * Documents one activity analyzes in batches of at least GROUPED_FROM_DOCUMENTS: each activity
 * costs the host a dispatch, history events and a replay of its leaf, and each recorded outcome
 * a table transaction; for small documents that outweighs the document itself. Smaller batches
 * keep one document per activity (a retry then repeats one document only).
 */
const DOCUMENTS_PER_ACTIVITY = 10;
const GROUPED_FROM_DOCUMENTS = 100;

/**
 * Document Intelligence analyzeBatch as a batch kind: items are the blobs of a container (under
 * a prefix) or the entries of a JSONL file list; processing one reads it, analyzes it with the
 * model's analyzer and writes `<resultPrefix><path>.ocr.json` into the caller's result container,
 * conditionally unless `overwriteExisting`. No finalize step.
 */
export function createDocumentIntelligenceKind(services: () => DocumentIntelligenceKindServices): BatchKind {
  return {
    name: DOCUMENT_INTELLIGENCE_KIND,
    finalEvent: documentIntelligenceBatchEvent,
    itemsPerActivity: (documents) => (documents >= GROUPED_FROM_DOCUMENTS ? DOCUMENTS_PER_ACTIVITY : 1),
    // Backstop only: the analyzer's own limit (DOCBATCH_ANALYZE_TIMEOUT_SECONDS) fails first, with DI's message.
    get itemTimeoutMs() {
      return services().settings.analyzeTimeoutMs + 60_000;
    },
    listItems: (batch) => listDocuments(batch, services()),
    processItem: (batch, item, options) => analyzeDocument(batch, item, options.signal, services()),
    findMissingResults: (batch, succeeded, options) => missingResults(batch, succeeded, options.signal, services()),
  };
}

/** HEADs in flight at once when the listing could not settle every expected result. */
const RESULT_CHECKS_AT_ONCE = 16;

/**
 * The result check before the batch's final status: succeeded documents whose `.ocr.json` is
 * missing. One listing of the result prefix (5,000 names a request) compared with the succeeded
 * items, not a HEAD per document, so its cost is a small fraction of the batch's. The listing
 * stops once every expected result was seen; past a bound (the prefix holds far more than this
 * batch wrote, e.g. other batches' results) what is left is asked for one by one. A result
 * container this app may not list or read (a SAS granting write and create only), or one deleted
 * since, cannot be checked: nothing is reported missing, as before the check existed.
 */
async function missingResults(
  batch: BatchRecord,
  succeeded: AsyncIterable<ItemRecord[]>,
  signal: AbortSignal | undefined,
  services: DocumentIntelligenceKindServices,
): Promise<number[]> {
  const spec = specOf(batch);
  const expected = new Map<string, number>();
  for await (const page of succeeded) for (const item of page) expected.set(resultBlobName(spec.resultPrefix, relativeSourcePath(spec, item.name)), item.index);
  if (expected.size === 0) return [];
  const { result } = openBatchContainers(batch.batchId, spec, services);
  try {
    const budget = 2 * expected.size + 5_000;
    let listed = 0;
    for await (const blob of result.listBlobsFlat({ prefix: spec.resultPrefix, abortSignal: signal })) {
      expected.delete(blob.name);
      if (expected.size === 0 || ++listed >= budget) break;
    }
    if (listed >= budget && expected.size > 0) {
      const limit = pLimit(RESULT_CHECKS_AT_ONCE);
      const found = await Promise.all([...expected.keys()].map((name) => limit(async () => ((await result.getBlobClient(name).exists({ abortSignal: signal })) ? name : undefined))));
      for (const name of found) if (name) expected.delete(name);
    }
  } catch (error) {
    // Not allowed to list or read (403), or the container is gone (404): the check cannot tell.
    if (isStatus(error, 403) || isStatus(error, 404)) return [];
    throw error;
  }
  return [...expected.values()];
}

async function* listDocuments(batch: BatchRecord, services: DocumentIntelligenceKindServices): AsyncIterable<ItemSeed[]> {
  const spec = specOf(batch);
  const target = spec.source.kind === "container" ? "azureBlobSource" : "azureBlobFileListSource";
  const limit = services.settings.maxDocumentsPerBatch;
  let listed = 0;
  // Results written into the source container are this API's output, not documents to analyze again.
  const resultsInSource = spec.source.kind === "container" && spec.source.url === spec.resultUrl;
  try {
    const { source } = openBatchContainers(batch.batchId, spec, services);
    const pages = spec.source.kind === "container" ? listContainerDocuments(source, spec.source.prefix) : readFileList(source, spec.source.fileList);
    for await (const page of pages) {
      const documents = resultsInSource ? page.filter((document) => !isResultName(document.name)) : page;
      listed += documents.length;
      if (listed > limit) {
        throw invalidRequest(
          "TooManyDocuments",
          `The source holds more than ${limit} documents, the most one batch may analyze. Split it with prefixes or file lists.`,
        );
      }
      if (documents.length > 0) yield documents.map((document) => ({ name: document.name }));
    }
  } catch (error) {
    if (error instanceof SourceError || error instanceof StorageUrlError) throw invalidRequest(error.code, error.message, target);
    if (error instanceof ItemError) throw error;
    const reached = toSourceError(error, spec.source.kind === "container" ? "the source container" : "the file list");
    throw invalidRequest(reached.code, reached.message, target);
  }
}

async function analyzeDocument(batch: BatchRecord, item: ItemRecord, signal: AbortSignal, services: DocumentIntelligenceKindServices): Promise<ItemResult> {
  const spec = specOf(batch);
  try {
    const outcome = await analyzeAndWrite(batch.batchId, spec, item.name, signal, services);
    if (outcome.written) return { status: "succeeded" };
    return { status: "skipped", error: { code: "OutputExists", message: `Analysis skipped because result file ${outcome.resultName} already exists.` } };
  } catch (error) {
    if (signal.aborted && !(error instanceof AnalyzerError && error.code === "Timeout")) throw error;
    throw documentError(error, item.name);
  }
}

async function analyzeAndWrite(
  batchId: string,
  spec: DocumentIntelligenceSpec,
  name: string,
  signal: AbortSignal,
  services: DocumentIntelligenceKindServices,
): Promise<{ written: boolean; resultName: string }> {
  // File-list entries (and listed names) are caller-controlled too: checked before any request is built.
  const problem = blobPathProblem(name);
  if (problem) {
    throw diItemError("InvalidArgument", "Invalid argument.", {
      innererror: { code: "InvalidParameter", message: `The document name ${JSON.stringify(name.slice(0, 200))} ${problem}.` },
    });
  }
  const containers = openBatchContainers(batchId, spec, services);
  const resultName = resultBlobName(spec.resultPrefix, relativeSourcePath(spec, name));

  const source = containers.source.getBlobClient(name);
  const download = await source.download(0, undefined, { maxRetryRequests: 3, abortSignal: signal });
  const size = download.contentLength ?? 0;
  if (size > services.settings.maxDocumentBytes) {
    download.readableStreamBody?.destroy();
    throw contentTooLarge(size, services.settings.maxDocumentBytes);
  }
  const bytes = await readAll(download.readableStreamBody, size);

  const analyzer = await services.analyzers.resolve(spec.modelId);
  if (!analyzer) throw new AnalyzerError("ModelNotFound", `The model '${spec.modelId}' is no longer offered by this deployment.`);
  const started = services.now().toISOString();
  const analyzeResult = await withTimeout(services.settings.analyzeTimeoutMs, signal, (analyzeSignal) =>
    analyzer.analyze({ modelId: spec.modelId, bytes, name, contentType: download.contentType, options: spec.options, signal: analyzeSignal }),
  );
  const content = JSON.stringify({ status: "succeeded", createdDateTime: started, lastUpdatedDateTime: services.now().toISOString(), analyzeResult });
  const outcome = await writeResult(containers.result, resultName, content, { overwrite: spec.overwriteExisting, batchId }).catch((error: unknown) => {
    throw resultWriteError(error, resultName);
  });
  return { written: outcome === "written", resultName };
}

/** The body into one buffer of the announced size: no list of chunks to concatenate, so the document is held once, not twice. */
async function readAll(stream: NodeJS.ReadableStream | undefined, size: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  let buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const piece of stream) {
    const chunk = typeof piece === "string" ? Buffer.from(piece) : (piece as Buffer);
    if (filled + chunk.byteLength > buffer.byteLength) {
      // More than announced (no Content-Length): grow, as a plain concatenation would.
      const grown = Buffer.allocUnsafe(Math.max(buffer.byteLength * 2, filled + chunk.byteLength));
      buffer.copy(grown, 0, 0, filled);
      buffer = grown;
    }
    chunk.copy(buffer, filled);
    filled += chunk.byteLength;
  }
  return buffer.subarray(0, filled);
}

/** Runs `work` with an abort signal and fails with Timeout when the limit passes, even if `work` ignores the signal. */
async function withTimeout<T>(ms: number, outer: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer.reason);
  outer.addEventListener("abort", onOuterAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new AnalyzerError("Timeout", `Analysis did not finish within ${Math.round(ms / 1000)} s.`));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener("abort", onOuterAbort);
  }
}
