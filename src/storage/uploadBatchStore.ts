import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { ContainerClient } from "@azure/storage-blob";
import type { AppStorage } from "./appStorage.js";
import { ownContainer } from "./ownContainer.js";
import { countedStream } from "./countedStream.js";

/** One uploaded document as the upload-batch kind reads it back. */
export interface UploadedDocument {
  fileName: string;
  contentType: string;
  bytes: number;
  /** The blob holding the bytes (under the batch's prefix). */
  blobName: string;
}

const UPLOAD_BLOCK_BYTES = 4 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 2;

/**
 * The upload-batch API's storage in docbatch's own account, one prefix per batch:
 * `<batch>/staged/<uuid>` the bytes of an upload (written before it has an index),
 * `<batch>/documents/<index>.json` what the upload is once its index is given,
 * `<batch>/results/<index>.json` and `<batch>/sources/<index>.json` what extraction made of it.
 * Purging a batch deletes its prefix.
 */
export class UploadBatchStore {
  private readonly container: ContainerClient;
  private readonly ensureContainer: () => Promise<unknown>;

  constructor(storage: AppStorage, options: { prefix: string }) {
    const own = ownContainer(storage.blobService, options.prefix, "uploads");
    this.container = own.container;
    this.ensureContainer = own.ready;
  }

  /** Streams an upload's bytes into a staged blob, never holding them whole. */
  async stage(batchId: string, content: Readable, contentType: string): Promise<{ blobName: string; bytes: number }> {
    // Before the first await: the part may already be flowing.
    const counted = countedStream(content);
    await this.ensureContainer();
    counted.throwIfFailed();
    const blobName = `${batchId}/staged/${randomUUID()}`;
    await this.container.getBlockBlobClient(blobName).uploadStream(counted.body, UPLOAD_BLOCK_BYTES, UPLOAD_CONCURRENCY, {
      blobHTTPHeaders: { blobContentType: contentType || "application/octet-stream" },
    });
    return { blobName, bytes: counted.bytes() };
  }

  async discardStaged(blobName: string): Promise<void> {
    await this.container.getBlobClient(blobName).deleteIfExists();
  }

  /** Records the upload under its index (after the index was given). */
  async describe(batchId: string, index: number, document: UploadedDocument): Promise<void> {
    await this.writeJson(`${batchId}/documents/${indexName(index)}.json`, document);
  }

  async document(batchId: string, index: number): Promise<UploadedDocument | undefined> {
    return this.readJson<UploadedDocument>(`${batchId}/documents/${indexName(index)}.json`);
  }

  async readBytes(document: UploadedDocument, signal?: AbortSignal): Promise<Uint8Array> {
    return this.container.getBlobClient(document.blobName).downloadToBuffer(undefined, undefined, { abortSignal: signal, maxRetryRequestsPerBlock: 3 });
  }

  async writeResult(batchId: string, index: number, result: unknown): Promise<void> {
    await this.writeJson(`${batchId}/results/${indexName(index)}.json`, { result });
  }

  async result(batchId: string, index: number): Promise<{ result: unknown } | undefined> {
    return this.readJson<{ result: unknown }>(`${batchId}/results/${indexName(index)}.json`);
  }

  /** The indexes that have a result: one listing of the batch's results prefix (5,000 names a request). */
  async resultIndexes(batchId: string): Promise<Set<number>> {
    await this.ensureContainer();
    const indexes = new Set<number>();
    const prefix = `${batchId}/results/`;
    for await (const blob of this.container.listBlobsFlat({ prefix })) indexes.add(Number(blob.name.slice(prefix.length).replace(/\.json$/, "")));
    return indexes;
  }

  async writeSourceLocations(batchId: string, index: number, locations: unknown): Promise<void> {
    await this.writeJson(`${batchId}/sources/${indexName(index)}.json`, locations);
  }

  async sourceLocations(batchId: string, index: number): Promise<unknown> {
    return this.readJson(`${batchId}/sources/${indexName(index)}.json`);
  }

  /** Deletes everything of a batch; idempotent. */
  async purge(batchId: string): Promise<void> {
    await this.ensureContainer();
    for await (const blob of this.container.listBlobsFlat({ prefix: `${batchId}/` })) {
      await this.container.getBlobClient(blob.name).deleteIfExists();
    }
  }

  private async writeJson(name: string, value: unknown): Promise<void> {
    await this.ensureContainer();
    const text = JSON.stringify(value);
    await this.container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: "application/json" } });
  }

  private async readJson<T>(name: string): Promise<T | undefined> {
    try {
      const buffer = await this.container.getBlobClient(name).downloadToBuffer();
      return JSON.parse(buffer.toString("utf8")) as T;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }
}

/** Zero-padded so a prefix listing comes back in upload order. */
function indexName(index: number): string {
  return String(index).padStart(6, "0");
}
