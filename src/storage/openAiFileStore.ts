import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import type { AppStorage } from "./appStorage.js";
import { ownContainer } from "./ownContainer.js";
import { countedStream } from "./countedStream.js";

/** A file of the OpenAI Files API as docbatch keeps it: the bytes in a blob, the rest in its metadata. */
export interface StoredFile {
  id: string;
  bytes: number;
  createdAt: number;
  fileName: string;
  purpose: string;
  expiresAt?: number;
}

const UPLOAD_BLOCK_BYTES = 4 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 2;

/**
 * Ids sort by creation time (a zero-padded millisecond stamp first, then randomness), so the
 * container's name order is the files' creation order and listing pages follow it.
 */
export function newFileId(nowMs: number): string {
  return `file-${nowMs.toString(36).padStart(9, "0")}${randomBytes(9).toString("hex")}`;
}

export const FILE_ID_PATTERN = /^file-[0-9a-z]{9}[0-9a-f]{18}$/;

/** Writes a file part by part (see OpenAiFileStore.assembler). */
export interface FileAssembler {
  stage(blockId: string, content: Buffer): Promise<void>;
  commit(blockIds: string[], file: StoredFile): Promise<void>;
}

/** Expired files are gone for callers at once; the purge timer deletes their bytes. */
export function isExpired(file: Pick<StoredFile, "expiresAt">, nowMs: number): boolean {
  return file.expiresAt !== undefined && file.expiresAt * 1000 <= nowMs;
}

/** The Files API's storage in docbatch's own account: one blob per file, streamed in and out. */
export class OpenAiFileStore {
  private readonly container: ContainerClient;
  private readonly ensureContainer: () => Promise<unknown>;

  constructor(storage: AppStorage, options: { prefix: string }) {
    const own = ownContainer(storage.blobService, options.prefix, "openai-files");
    this.container = own.container;
    this.ensureContainer = own.ready;
  }

  /**
   * Streams `content` into a new blob, never holding it whole. The file has no description
   * (and is not listed) until `describe` runs: a multipart form may send its fields after the file.
   */
  async write(content: Readable, nowMs: number): Promise<{ id: string; bytes: number }> {
    // Before the first await: the part may already be flowing.
    const counted = countedStream(content);
    await this.ensureContainer();
    counted.throwIfFailed();
    const id = newFileId(nowMs);
    await this.container.getBlockBlobClient(id).uploadStream(counted.body, UPLOAD_BLOCK_BYTES, UPLOAD_CONCURRENCY, {
      blobHTTPHeaders: { blobContentType: "application/octet-stream" },
    });
    return { id, bytes: counted.bytes() };
  }

  /** An id for a file to be written (an upload allocates its File's id when it starts). */
  newId(nowMs: number): string {
    return newFileId(nowMs);
  }

  /** The blob behind a file id, for writing it block by block (the Uploads API stages parts on it). */
  async blockBlob(id: string): Promise<BlockBlobClient> {
    if (!FILE_ID_PATTERN.test(id)) throw new Error(`'${id}' is not a file id`);
    await this.ensureContainer();
    return this.container.getBlockBlobClient(id);
  }

  /** The bytes of a committed blob, described as a file or not yet. */
  async openBlob(id: string): Promise<NodeJS.ReadableStream> {
    const download = await (await this.blockBlob(id)).download();
    return download.readableStreamBody!;
  }

  async describe(file: StoredFile): Promise<void> {
    await this.container.getBlobClient(file.id).setMetadata(toMetadata(file));
  }

  async get(id: string): Promise<StoredFile | undefined> {
    if (!FILE_ID_PATTERN.test(id)) return undefined;
    try {
      const properties = await this.container.getBlobClient(id).getProperties();
      if (!properties.metadata?.purpose) return undefined;
      return fromMetadata(id, properties.contentLength ?? 0, properties.metadata);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The bytes, as a stream; undefined when the file does not exist. */
  async open(id: string): Promise<{ stream: NodeJS.ReadableStream; bytes: number } | undefined> {
    if (!FILE_ID_PATTERN.test(id)) return undefined;
    try {
      const download = await this.container.getBlobClient(id).download();
      return { stream: download.readableStreamBody!, bytes: download.contentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** `length` bytes from `offset`: one request line of a batch input file. Undefined when the file is gone. */
  async readRange(id: string, offset: number, length: number): Promise<Buffer | undefined> {
    if (!FILE_ID_PATTERN.test(id)) return undefined;
    if (length === 0) return Buffer.alloc(0);
    try {
      return await this.container.getBlobClient(id).downloadToBuffer(offset, length);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Writes a file from parts staged one at a time (a batch's output, assembled in finalize with
   * one part in memory): `stage` each part under a block id, then `commit` the ids in order.
   * Re-running it for the same id replaces the file: finalize may run again.
   */
  assembler(id: string): FileAssembler {
    const blob = this.container.getBlockBlobClient(id);
    return {
      stage: async (blockId, content) => {
        await this.ensureContainer();
        await blob.stageBlock(blockId, content, content.byteLength);
      },
      commit: async (blockIds, file) => {
        await this.ensureContainer();
        await blob.commitBlockList(blockIds, { blobHTTPHeaders: { blobContentType: "application/octet-stream" }, metadata: toMetadata(file) });
      },
    };
  }

  /** Deletes files whose `expires_at` has passed; returns how many went. */
  async purgeExpired(nowMs: number): Promise<number> {
    let purged = 0;
    for await (const file of this.all()) {
      if (isExpired(file, nowMs) && (await this.delete(file.id))) purged++;
    }
    return purged;
  }

  async delete(id: string): Promise<boolean> {
    if (!FILE_ID_PATTERN.test(id)) return false;
    const result = await this.container.getBlobClient(id).deleteIfExists();
    return result.succeeded;
  }

  /** Every file in creation order (oldest first), read page by page from the container listing. */
  async *all(): AsyncGenerator<StoredFile> {
    await this.ensureContainer();
    for await (const blob of this.container.listBlobsFlat({ includeMetadata: true })) {
      if (!FILE_ID_PATTERN.test(blob.name) || !blob.metadata?.purpose) continue;
      yield fromMetadata(blob.name, blob.properties.contentLength ?? 0, blob.metadata ?? {});
    }
  }
}

function toMetadata(file: StoredFile): Record<string, string> {
  // Metadata values must be ASCII: the file name is kept percent-encoded.
  return {
    filename: encodeURIComponent(file.fileName),
    purpose: file.purpose,
    createdat: String(file.createdAt),
    ...(file.expiresAt !== undefined ? { expiresat: String(file.expiresAt) } : {}),
  };
}

function fromMetadata(id: string, bytes: number, metadata: Record<string, string>): StoredFile {
  return {
    id,
    bytes,
    createdAt: Number(metadata.createdat ?? 0),
    fileName: safeDecode(metadata.filename ?? ""),
    purpose: metadata.purpose ?? "batch",
    ...(metadata.expiresat ? { expiresAt: Number(metadata.expiresat) } : {}),
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}
