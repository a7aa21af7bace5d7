import type { BlobClient } from "@azure/storage-blob";
import { ItemError } from "../../engine/itemError.js";
import type { AppStorage } from "../../storage/appStorage.js";
import { openContainer } from "../../storage/containerAccess.js";
import { parseBlobUrl, type BlobLocation, type StorageUrlPolicy } from "../../storage/containerUrl.js";
import type { OpenAiFileStore } from "../../storage/openAiFileStore.js";
import type { SecretBox } from "../../storage/secretBox.js";
import type { OpenAiBatchInput, OpenAiBatchOutputFolder } from "./spec.js";

export interface BlobAccessServices {
  storage: AppStorage;
  urlPolicy: StorageUrlPolicy;
  secrets?: SecretBox;
}

/** A batch's input as the kind reads it: whole (validation) or one line's bytes at a time. */
export interface BatchInputReader {
  /** The whole file as a byte stream, and a version tag that later reads must match; `version` (of an earlier open) is required of it. */
  open(signal?: AbortSignal, version?: string): Promise<{ stream: AsyncIterable<Uint8Array>; version?: string }>;
  readRange(offset: number, length: number, version?: string): Promise<Buffer>;
}

export function batchInputReader(input: OpenAiBatchInput, services: BlobAccessServices & { files: OpenAiFileStore }): BatchInputReader {
  if ("fileId" in input) {
    const gone = () => new ItemError("input_file_missing", `The input file ${input.fileId} was deleted; upload it again and create a new batch.`);
    return {
      open: async () => {
        const opened = await services.files.open(input.fileId);
        if (!opened) throw gone();
        return { stream: opened.stream as AsyncIterable<Uint8Array> };
      },
      readRange: async (offset, length) => (await services.files.readRange(input.fileId, offset, length)) ?? Promise.reject(gone()),
    };
  }
  const blob = () => callerBlob(input.sealedBlobUrl, input.blobUrl, services, "input_blob");
  return {
    open: async (signal, version) => {
      try {
        const download = await blob().download(0, undefined, { abortSignal: signal, conditions: version ? { ifMatch: version } : undefined });
        return { stream: download.readableStreamBody as unknown as AsyncIterable<Uint8Array>, version: download.etag };
      } catch (error) {
        throw blobFailure(error, input.blobUrl);
      }
    },
    readRange: async (offset, length, version) => {
      if (length === 0) return Buffer.alloc(0);
      try {
        return await blob().downloadToBuffer(offset, length, { conditions: version ? { ifMatch: version } : undefined });
      } catch (error) {
        throw blobFailure(error, input.blobUrl);
      }
    },
  };
}

/** The caller's blob behind a stored URL: the sealed one (with its SAS) when there is one; the URL policy applies again. */
export function callerBlobLocation(sealed: string | undefined, plain: string, services: BlobAccessServices, target: string, kind: "blob" | "folder"): BlobLocation {
  if (sealed && !services.secrets) throw new ItemError("input_no_permissions", "DOCBATCH_ENCRYPTION_KEY is not set, so the stored SAS of this batch cannot be read.");
  const url = sealed ? services.secrets!.open(sealed) : plain;
  return parseBlobUrl(url, services.urlPolicy, target, kind);
}

function callerBlob(sealed: string | undefined, plain: string, services: BlobAccessServices, target: string): BlobClient {
  const location = callerBlobLocation(sealed, plain, services, target, "blob");
  return openContainer(location.container, services.storage).getBlobClient(location.path);
}

/** The result folder's container and the blob names of the batch's two files in it. */
export function outputBlobs(output: OpenAiBatchOutputFolder, batchId: string, services: BlobAccessServices) {
  const location = callerBlobLocation(output.sealedFolderUrl, output.folderUrl, services, "output_folder", "folder");
  const container = openContainer(location.container, services.storage);
  const prefix = location.path ? `${location.path}/${batchId}` : batchId;
  return { container, results: `${prefix}/results.jsonl`, errors: `${prefix}/errors.jsonl` };
}

function blobFailure(error: unknown, url: string): unknown {
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 412) return new ItemError("input_modified", `The input blob ${url} changed after validation; create a new batch for the new content.`);
  if (status === 403 || status === 401) return new ItemError("input_no_permissions", `docbatch may not read ${url}: grant read access (a SAS with 'r') or ask the operator to allow the account.`);
  if (status === 404) return new ItemError("input_not_found", `The input blob ${url} does not exist.`);
  return error;
}
