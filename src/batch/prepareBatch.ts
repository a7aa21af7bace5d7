import { openBatchContainers } from "./batchContainers.js";
import type { BatchRef } from "./batchRef.js";
import type { BatchServices } from "./services.js";
import type { DiErrorBody } from "../documentIntelligence/errors.js";
import { listContainerDocuments, readFileList, SourceError, toSourceError, type SourceDocument } from "../storage/sourceListing.js";
import { StorageUrlError } from "../storage/containerUrl.js";
import type { BatchRecord } from "../storage/statusTable.js";

export type PreparedBatch =
  | { outcome: "ready"; documentCount: number; documentsPerLeaf: number }
  | { outcome: "failed" | "canceled" | "gone" };

/**
 * Lists a batch's documents into the status table (the stored work list the orchestration
 * fans out over by index) and moves the batch to `running`. Listing goes page by page; a
 * re-delivered listing rewrites the same rows. Batch-wide problems fail the batch.
 */
export async function prepareBatch(ref: BatchRef, services: BatchServices): Promise<PreparedBatch> {
  const { statusTable } = services;
  const batch = await statusTable.updateBatch(ref.modelId, ref.batchId, () => ({ status: "running" }));
  if (!batch || batch.deleted) return { outcome: "gone" };
  if (batch.cancelRequested || batch.status === "canceled") return { outcome: "canceled" };
  if (batch.status === "failed") return { outcome: "failed" };
  if (batch.documentCount !== undefined && batch.documentsPerLeaf !== undefined) {
    return { outcome: "ready", documentCount: batch.documentCount, documentsPerLeaf: batch.documentsPerLeaf };
  }

  await statusTable.createCounters(ref.batchId);
  let documentCount = 0;
  try {
    for await (const page of listSource(batch, services)) {
      if (documentCount + page.length > services.settings.maxDocumentsPerBatch) {
        return failBatch(ref, services, {
          code: "InvalidRequest",
          message: "Invalid request.",
          innererror: {
            code: "TooManyDocuments",
            message: `The source holds more than ${services.settings.maxDocumentsPerBatch} documents, the most one batch may analyze. Split it with prefixes or file lists.`,
          },
        });
      }
      await statusTable.addDocuments(ref.batchId, documentCount, page.map((document) => document.name));
      documentCount += page.length;
    }
  } catch (error) {
    if (!(error instanceof SourceError || error instanceof StorageUrlError)) throw error;
    return failBatch(ref, services, {
      code: "InvalidRequest",
      message: "Invalid request.",
      target: batch.source.kind === "container" ? "azureBlobSource" : "azureBlobFileListSource",
      innererror: { code: error.code, message: error.message },
    });
  }
  // Kept with the batch: the purge derives the instance ids of its sub-orchestrations from it.
  const documentsPerLeaf = services.settings.documentsPerSubOrchestration;
  await statusTable.updateBatch(ref.modelId, ref.batchId, () => ({ documentCount, documentsPerLeaf }));
  return { outcome: "ready", documentCount, documentsPerLeaf };
}

async function* listSource(batch: BatchRecord, services: BatchServices): AsyncIterable<SourceDocument[]> {
  const { source } = openBatchContainers(batch, services);
  try {
    if (batch.source.kind === "container") yield* listContainerDocuments(source, batch.source.prefix);
    else yield* readFileList(source, batch.source.fileList);
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw toSourceError(error, batch.source.kind === "container" ? "the source container" : "the file list");
  }
}

async function failBatch(ref: BatchRef, services: BatchServices, error: DiErrorBody): Promise<PreparedBatch> {
  await services.statusTable.updateBatch(ref.modelId, ref.batchId, () => ({
    status: "failed",
    error,
    completedDateTime: services.now().toISOString(),
  }));
  return { outcome: "failed" };
}
