import { createHash, randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { odata, RestError, type TableClient, type TableEntityResult } from "@azure/data-tables";
import type { AppStorage } from "./appStorage.js";
import { countedStream } from "./countedStream.js";
import { FILE_ID_PATTERN, type OpenAiFileStore, type StoredFile } from "./openAiFileStore.js";
import { stageAsBlocks } from "./stagedBlocks.js";

/**
 * An upload of the OpenAI Uploads API as docbatch keeps it. Its parts are staged as uncommitted
 * blocks of the blob that becomes its File (the File's id is chosen at creation), so completing
 * an upload copies nothing: it commits the parts' blocks in the order asked.
 */
export interface StoredUpload {
  id: string;
  bytes: number;
  fileName: string;
  mimeType: string;
  purpose: string;
  /** Unix seconds. */
  createdAt: number;
  expiresAt: number;
  status: "pending" | "completed" | "cancelled";
  /** The blob (File id) its parts are staged on. */
  fileId: string;
  /** `expires_after` of the File it becomes, unix seconds from completion. */
  fileExpiresAfterSeconds?: number;
  /** Bytes of every part added so far (parts not named at completion included). */
  stagedBytes: number;
  /** Set once completed: a hash of the part ids and md5 it was completed with (a repeated completion is answered again). */
  completion?: string;
  /** Unix seconds: when it was completed (its File's created_at). */
  completedAt?: number;
}

export interface StoredPart {
  id: string;
  uploadId: string;
  bytes: number;
  createdAt: number;
  blockCount: number;
}

export const UPLOAD_ID_PATTERN = /^upload_[0-9a-f]{24}$/;
export const PART_ID_PATTERN = /^part_[0-9a-f]{24}$/;
const BLOCK_BYTES = 4 * 1024 * 1024;
const STAGE_CONCURRENCY = 2;
const MAX_CONFLICT_RETRIES = 20;
const UPLOAD_ROW = "upload";

/** Why a change to an upload was refused; the front door words it. */
export class UploadStateError extends Error {
  override readonly name = "UploadStateError";
  constructor(
    readonly reason: "notFound" | "notPending" | "expired" | "tooManyBytes" | "emptyPart",
    readonly upload?: StoredUpload,
  ) {
    super(reason);
  }
}

/**
 * The Uploads API's state in a table of the app's account (one partition per upload: a row for
 * the upload, one per part) and its bytes as blocks in the Files container.
 */
export class OpenAiUploadStore {
  private readonly table: TableClient;
  private ready: Promise<void> | undefined;

  constructor(
    storage: AppStorage,
    private readonly files: OpenAiFileStore,
    options: { prefix: string },
  ) {
    this.table = storage.table(`${options.prefix}openaiuploads`);
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.table.createTable().then(
      () => undefined,
      (error: unknown) => {
        if (statusOf(error) === 409) return;
        this.ready = undefined;
        throw error;
      },
    );
    return this.ready;
  }

  async create(upload: Omit<StoredUpload, "id" | "fileId" | "status" | "stagedBytes">, nowMs: number): Promise<StoredUpload> {
    await this.ensureTable();
    const stored: StoredUpload = { ...upload, id: `upload_${randomBytes(12).toString("hex")}`, fileId: this.files.newId(nowMs), status: "pending", stagedBytes: 0 };
    await this.table.createEntity({ partitionKey: stored.id, rowKey: UPLOAD_ROW, ...toColumns(stored) });
    return stored;
  }

  async get(id: string): Promise<StoredUpload | undefined> {
    return (await this.read(id))?.upload;
  }

  /**
   * Streams one part into blocks of the upload's blob, then records it and adds its bytes to the
   * upload's total. Refused (UploadStateError) when the upload is gone, no longer pending, expired
   * by `nowMs`, or when the parts would add up to more than `maxStagedBytes`.
   */
  async addPart(uploadId: string, content: Readable, options: { nowMs: number; maxStagedBytes: number }): Promise<StoredPart> {
    // Before the first await: the part may already be flowing.
    const counted = countedStream(content);
    let staged: { blockIds: string[]; bytes: number };
    const partId = `part_${randomBytes(12).toString("hex")}`;
    try {
      const found = await this.read(uploadId);
      if (!found) throw new UploadStateError("notFound");
      requirePending(found.upload, options.nowMs);
      const blob = await this.files.blockBlob(found.upload.fileId);
      staged = await stageAsBlocks(blob, counted.body, { blockId: (index) => blockIdOf(partId, index), blockBytes: BLOCK_BYTES, concurrency: STAGE_CONCURRENCY });
    } catch (error) {
      // The rest of the part is read and dropped: the form parser waits for the part to end.
      counted.body.resume();
      throw error;
    }
    if (staged.bytes === 0) throw new UploadStateError("emptyPart");
    const part: StoredPart = { id: partId, uploadId, bytes: staged.bytes, createdAt: Math.floor(options.nowMs / 1000), blockCount: staged.blockIds.length };
    await this.change(uploadId, (upload) => {
      requirePending(upload, options.nowMs);
      if (upload.stagedBytes + part.bytes > options.maxStagedBytes) throw new UploadStateError("tooManyBytes", upload);
      return { stagedBytes: upload.stagedBytes + part.bytes };
    });
    await this.table.createEntity({ partitionKey: uploadId, rowKey: partId, bytes: part.bytes, createdAt: part.createdAt, blockCount: part.blockCount });
    return part;
  }

  async parts(uploadId: string): Promise<Map<string, StoredPart>> {
    await this.ensureTable();
    const parts = new Map<string, StoredPart>();
    const rows = this.table.listEntities<{ bytes: number; createdAt: number; blockCount: number }>({ queryOptions: { filter: odata`PartitionKey eq ${uploadId} and RowKey ne ${UPLOAD_ROW}` } });
    for await (const row of rows) {
      parts.set(row.rowKey!, { id: row.rowKey!, uploadId, bytes: row.bytes, createdAt: row.createdAt, blockCount: row.blockCount });
    }
    return parts;
  }

  /** Commits `parts` in this order as the upload's blob; the File stays invisible until `finish` describes it. */
  async join(upload: StoredUpload, parts: readonly StoredPart[]): Promise<void> {
    const blockIds = parts.flatMap((part) => Array.from({ length: part.blockCount }, (_, index) => blockIdOf(part.id, index)));
    await (await this.files.blockBlob(upload.fileId)).commitBlockList(blockIds, { blobHTTPHeaders: { blobContentType: "application/octet-stream" } });
  }

  /** The MD5 of the joined blob, hex, read as a stream. */
  async md5Of(upload: StoredUpload): Promise<string> {
    const opened = await this.files.openBlob(upload.fileId);
    const hash = createHash("md5");
    for await (const chunk of opened as AsyncIterable<Buffer>) hash.update(chunk);
    return hash.digest("hex");
  }

  /** Describes the joined blob as its File and marks the upload completed (conditionally: a cancel in between wins). */
  async finish(upload: StoredUpload, file: StoredFile, completion: string, nowMs: number): Promise<StoredUpload> {
    const completed = await this.change(upload.id, (current) => {
      if (current.status === "completed" && current.completion === completion) return {};
      requirePending(current, nowMs);
      return { status: "completed", completion, completedAt: file.createdAt };
    });
    await this.files.describe(file);
    return completed;
  }

  /** Marks a pending upload cancelled and drops its staged parts. */
  async cancel(uploadId: string, nowMs: number): Promise<StoredUpload> {
    const cancelled = await this.change(uploadId, (upload) => {
      if (upload.status === "cancelled") return {};
      requirePending(upload, nowMs);
      return { status: "cancelled" };
    });
    await this.dropBlocks(cancelled);
    return cancelled;
  }

  /**
   * Removes uploads whose hour has passed: the staged blocks of those never completed, and the
   * rows of all. Returns how many went.
   */
  async purgeExpired(nowMs: number): Promise<number> {
    await this.ensureTable();
    const cutoff = Math.floor(nowMs / 1000);
    const rows = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`RowKey eq ${UPLOAD_ROW} and expiresAt le ${cutoff}` } });
    let purged = 0;
    for await (const row of rows) {
      const upload = fromColumns(row.partitionKey as string, row);
      if (upload.status !== "completed") await this.dropBlocks(upload);
      for await (const entity of this.table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${upload.id}`, select: ["RowKey"] } })) {
        await ignore404(this.table.deleteEntity(upload.id, entity.rowKey!));
      }
      purged++;
    }
    return purged;
  }

  /** Uncommitted blocks cannot be deleted one by one: committing an empty list discards them, then the empty blob goes. */
  private async dropBlocks(upload: StoredUpload): Promise<void> {
    if (await this.files.get(upload.fileId)) return; // described: a File now, not an upload's leftovers
    const blob = await this.files.blockBlob(upload.fileId);
    await blob.commitBlockList([]);
    await blob.deleteIfExists();
  }

  private async read(id: string): Promise<{ upload: StoredUpload; etag: string } | undefined> {
    if (!UPLOAD_ID_PATTERN.test(id)) return undefined;
    await this.ensureTable();
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(id, UPLOAD_ROW);
      return { upload: fromColumns(id, row), etag: row.etag };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Read, change, write back under the row's ETag; a conflicting writer makes it read again. */
  private async change(id: string, patch: (upload: StoredUpload) => Partial<StoredUpload>): Promise<StoredUpload> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const found = await this.read(id);
      if (!found) throw new UploadStateError("notFound");
      const changes = patch(found.upload);
      const next = { ...found.upload, ...changes };
      if (Object.keys(changes).length === 0) return next;
      try {
        await this.table.updateEntity({ partitionKey: id, rowKey: UPLOAD_ROW, ...toColumns(next) }, "Replace", { etag: found.etag });
        return next;
      } catch (error) {
        if (statusOf(error) !== 412) throw error;
      }
    }
    throw new Error(`Upload ${id} is being changed by too many writers at once`);
  }
}

export function isUploadExpired(upload: Pick<StoredUpload, "expiresAt">, nowMs: number): boolean {
  return upload.expiresAt * 1000 <= nowMs;
}

function requirePending(upload: StoredUpload, nowMs: number): void {
  if (upload.status !== "pending") throw new UploadStateError("notPending", upload);
  if (isUploadExpired(upload, nowMs)) throw new UploadStateError("expired", upload);
}

/** Block ids of one blob must all have the same length: the part's hex id and a six-digit index. */
function blockIdOf(partId: string, index: number): string {
  return Buffer.from(`${partId.slice("part_".length)}${String(index).padStart(6, "0")}`).toString("base64");
}

function toColumns(upload: StoredUpload): Record<string, string | number> {
  return {
    bytes: upload.bytes,
    fileName: upload.fileName,
    mimeType: upload.mimeType,
    purpose: upload.purpose,
    createdAt: upload.createdAt,
    expiresAt: upload.expiresAt,
    status: upload.status,
    fileId: upload.fileId,
    stagedBytes: upload.stagedBytes,
    ...(upload.fileExpiresAfterSeconds !== undefined ? { fileExpiresAfterSeconds: upload.fileExpiresAfterSeconds } : {}),
    ...(upload.completion ? { completion: upload.completion } : {}),
    ...(upload.completedAt !== undefined ? { completedAt: upload.completedAt } : {}),
  };
}

function fromColumns(id: string, row: Record<string, unknown> | TableEntityResult<Record<string, unknown>>): StoredUpload {
  const fileId = String(row.fileId);
  if (!FILE_ID_PATTERN.test(fileId)) throw new Error(`Upload ${id} has no valid file id`);
  return {
    id,
    bytes: Number(row.bytes),
    fileName: String(row.fileName),
    mimeType: String(row.mimeType),
    purpose: String(row.purpose),
    createdAt: Number(row.createdAt),
    expiresAt: Number(row.expiresAt),
    status: row.status as StoredUpload["status"],
    fileId,
    stagedBytes: Number(row.stagedBytes),
    ...(row.fileExpiresAfterSeconds !== undefined ? { fileExpiresAfterSeconds: Number(row.fileExpiresAfterSeconds) } : {}),
    ...(row.completion ? { completion: String(row.completion) } : {}),
    ...(row.completedAt !== undefined ? { completedAt: Number(row.completedAt) } : {}),
  };
}

function statusOf(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : (error as { statusCode?: number }).statusCode;
}

async function ignore404(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}
