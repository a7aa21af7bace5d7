import pRetry from "p-retry";
import { AnalyzerError, type AnalyzeOptions } from "../analyzers/analyzer.js";
import type { BatchRecord, DocumentRecord } from "../storage/statusTable.js";
import { resultBlobName, writeResult } from "../storage/resultWriter.js";
import { openBatchContainers, relativeSourcePath } from "./batchContainers.js";
import { contentTooLarge, documentError } from "./documentErrors.js";
import { isTransient } from "../shared/transientErrors.js";
import type { BatchServices } from "./services.js";
import { isFinalDocumentStatus, type DocumentStatus } from "./status.js";

export interface AnalyzeDocumentInput {
  batchId: string;
  modelId: string;
  index: number;
}

const TRANSIENT_RETRIES = 3;

/**
 * Processes one document of a batch: read it, analyze it, write its result, record its status.
 * Idempotent: a document that has already finished is left as it is, and a result this batch
 * already wrote counts as written, so redelivery gives the same result and the same counts.
 * Per-document problems are recorded on the document; only failures to record status throw.
 */
export async function analyzeDocument(input: AnalyzeDocumentInput, services: BatchServices): Promise<DocumentStatus> {
  const { statusTable } = services;
  const [batch, document] = await Promise.all([
    services.recentBatches.get(input.modelId, input.batchId),
    services.recentDocuments.get(input.batchId, input.index),
  ]);
  if (!batch) return "canceled"; // deleted or purged while queued
  if (!document) throw new Error(`Batch ${input.batchId} has no document ${input.index}`);
  if (batch.cancelRequested) return (await statusTable.finishDocument(input.batchId, input.index, "canceled", undefined, document)).status;
  if (isFinalDocumentStatus(document.status)) return document.status;
  // No separate `running` write: it would cost a table request per document for a status
  // that lasts milliseconds for most documents.
  let finished: DocumentRecord;
  try {
    const outcome = await pRetry(() => analyzeAndWrite(batch, document, services), {
      retries: TRANSIENT_RETRIES,
      minTimeout: 500,
      factor: 2,
      shouldRetry: ({ error }) => isTransient(error),
    });
    finished = outcome.written
      ? await statusTable.finishDocument(input.batchId, input.index, "succeeded", undefined, document)
      : await statusTable.finishDocument(
          input.batchId,
          input.index,
          "skipped",
          { code: "OutputExists", message: `Analysis skipped because result file ${outcome.resultName} already exists.` },
          document,
        );
  } catch (error) {
    finished = await statusTable.finishDocument(input.batchId, input.index, "failed", documentError(error, document.name), document);
  }
  return finished.status;
}

async function analyzeAndWrite(
  batch: BatchRecord,
  document: DocumentRecord,
  services: BatchServices,
): Promise<{ written: boolean; resultName: string }> {
  const containers = openBatchContainers(batch, services);
  const resultName = resultBlobName(batch.resultPrefix, relativeSourcePath(batch, document.name));

  const source = containers.source.getBlobClient(document.name);
  const download = await source.download(0, undefined, { maxRetryRequests: 3 });
  const size = download.contentLength ?? 0;
  if (size > services.settings.maxDocumentBytes) {
    download.readableStreamBody?.destroy();
    throw contentTooLarge(size, services.settings.maxDocumentBytes);
  }
  const bytes = await readAll(download.readableStreamBody);

  const analyzer = await services.analyzers.resolve(batch.modelId);
  if (!analyzer) throw new AnalyzerError("ModelNotFound", `The model '${batch.modelId}' is no longer offered by this deployment.`);
  const started = services.now().toISOString();
  const analyzeResult = await withTimeout(services.settings.analyzeTimeoutMs, (signal) =>
    analyzer.analyze({
      modelId: batch.modelId,
      bytes,
      name: document.name,
      contentType: download.contentType,
      options: JSON.parse(batch.options) as AnalyzeOptions,
      signal,
    }),
  );
  const content = JSON.stringify({
    status: "succeeded",
    createdDateTime: started,
    lastUpdatedDateTime: services.now().toISOString(),
    analyzeResult,
  });
  const outcome = await writeResult(containers.result, resultName, content, {
    overwrite: batch.overwriteExisting,
    batchId: batch.batchId,
  });
  return { written: outcome === "written", resultName };
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Runs `work` with an abort signal and fails with Timeout when the limit passes, even if `work` ignores the signal. */
async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
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
  }
}
