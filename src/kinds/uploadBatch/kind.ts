import { AnalyzerError } from "../../analyzers/analyzer.js";
import { extractDocument } from "../../analyzers/llmExtraction/extractDocument.js";
import { ExtractionError } from "../../analyzers/llmExtraction/extractWithLlm.js";
import { parseExtractionSchema } from "../../analyzers/llmExtraction/extractionSchema.js";
import type { AnalyzerRegistry } from "../../analyzers/registry.js";
import type { DocbatchSettings } from "../../config/settings.js";
import type { BatchKind, ItemResult } from "../../engine/batchKind.js";
import { ItemError } from "../../engine/itemError.js";
import type { BatchRecord, ItemRecord, ItemSeed } from "../../engine/model.js";
import { UpstreamUnavailableError, type LlmUpstream } from "../../llm/upstream.js";
import type { UploadBatchStore } from "../../storage/uploadBatchStore.js";
import { UPLOAD_BATCH_KIND, uploadSpecOf, type UploadBatchCommand } from "./spec.js";
import { uploadBatchEvent } from "./finalEvent.js";

export interface UploadBatchKindServices {
  settings: Pick<DocbatchSettings, "extraction" | "uploadBatches" | "analyzeTimeoutMs">;
  analyzers: AnalyzerRegistry;
  uploads: UploadBatchStore;
  llm(): LlmUpstream;
}

const LIST_PAGE = 500;

/**
 * DocuDevs upload batches as a batch kind: items are the uploaded documents in upload order;
 * processing one reads it with docbatch's own reader and extracts with the LLM (or keeps its
 * Markdown), writing the result into docbatch's storage under the item's index. Purge removes
 * the batch's uploads and results.
 */
export function createUploadBatchKind(services: () => UploadBatchKindServices): BatchKind {
  return {
    name: UPLOAD_BATCH_KIND,
    finalEvent: uploadBatchEvent,
    recordsRunning: true,
    get itemTimeoutMs() {
      // Reading plus an LLM call that may wait for the rate budget and one repair.
      return services().settings.analyzeTimeoutMs + 15 * 60_000;
    },
    listItems: (batch) => listUploads(batch),
    processItem: (batch, item, options) => processUpload(batch, item, options.signal, services()),
    purge: (batch) => services().uploads.purge(batch.batchId),
    findMissingResults: (batch, succeeded) => missingResults(batch, succeeded, services()),
  };
}

/** The result check before the final status: succeeded documents without a result, by one listing of the batch's results (docbatch's own storage). */
async function missingResults(batch: BatchRecord, succeeded: AsyncIterable<ItemRecord[]>, services: UploadBatchKindServices): Promise<number[]> {
  const stored = await services.uploads.resultIndexes(batch.batchId);
  const missing: number[] = [];
  for await (const page of succeeded) for (const item of page) if (!stored.has(item.index)) missing.push(item.index);
  return missing;
}

async function* listUploads(batch: BatchRecord): AsyncIterable<ItemSeed[]> {
  const { documents } = uploadSpecOf(batch);
  for (let first = 0; first < documents; first += LIST_PAGE) {
    const count = Math.min(LIST_PAGE, documents - first);
    yield Array.from({ length: count }, (_, offset) => ({ name: String(first + offset) }));
  }
}

export function modelForTier(settings: UploadBatchKindServices["settings"], tier: UploadBatchCommand["llm"]): string {
  return settings.extraction.tierModels[tier] ?? settings.extraction.model;
}

async function processUpload(batch: BatchRecord, item: ItemRecord, signal: AbortSignal, services: UploadBatchKindServices): Promise<ItemResult> {
  const command = uploadSpecOf(batch).command;
  if (!command) throw new ItemError("InternalError", "the batch has no processing command");
  const document = await services.uploads.document(batch.batchId, item.index);
  // The upload answered before its record was written only if storage failed in between.
  if (!document) throw new ItemError("UploadIncomplete", `document ${item.index} was not stored completely; upload it again in a new batch`);
  if (document.bytes > services.settings.uploadBatches.maxDocumentBytes) {
    throw new ItemError("ContentTooLarge", `${document.fileName} is larger than ${services.settings.uploadBatches.maxDocumentBytes} bytes`);
  }
  const bytes = await services.uploads.readBytes(document, signal);
  try {
    const { result, tokenCount, sourceLocations } = await extractDocument(
      { analyzers: services.analyzers, upstream: services.llm },
      { bytes, name: document.fileName, contentType: document.contentType },
      {
        prompt: command.prompt,
        schema: command.schema ? parseExtractionSchema(JSON.stringify(command.schema)) : undefined,
        ocr: command.ocr,
        textOnly: command.textOnly,
        pageRange: command.pageRange,
        model: modelForTier(services.settings, command.llm),
        contextTokens: services.settings.extraction.contextTokens,
        maxOutputTokens: services.settings.extraction.maxOutputTokens,
      },
      signal,
    );
    if (sourceLocations) await services.uploads.writeSourceLocations(batch.batchId, item.index, sourceLocations);
    await services.uploads.writeResult(batch.batchId, item.index, result);
    return { status: "succeeded", metrics: { tokenCount } };
  } catch (error) {
    throw documentFailure(error, document.fileName);
  }
}

/** What a document's result shows when it fails: a message saying what went wrong with it. */
function documentFailure(error: unknown, fileName: string): unknown {
  if (error instanceof ExtractionError) return new ItemError("ExtractionFailed", `${fileName}: ${error.message}`);
  if (error instanceof AnalyzerError) {
    return new ItemError(error.code, `${fileName}: ${error.message}`, { retryable: error.options.transient ?? false, retryAfterMs: error.options.retryAfterMs });
  }
  if (error instanceof UpstreamUnavailableError) return new ItemError("LlmUnavailable", `${fileName}: ${error.message}`, { retryable: true });
  if (error instanceof Error && /No LLM upstream serves model/.test(error.message)) return new ItemError("ModelNotConfigured", `${fileName}: ${error.message}`);
  return error;
}
