import { odata, RestError, TableClient, TableTransaction, type TableEntityResult } from "@azure/data-tables";
import {
  batchMayMove,
  isFinalDocumentStatus,
  NO_DOCUMENTS,
  type BatchStatus,
  type DocumentCounts,
  type DocumentOutcome,
  type DocumentStatus,
} from "../batch/status.js";
import type { DiErrorBody } from "../documentIntelligence/errors.js";
import type { AppStorage } from "./appStorage.js";

/**
 * Where every batch's and every document's status is kept (Table Storage).
 *
 * - `{prefix}Batches`: one row per batch; PartitionKey = model id, RowKey = batch id, so a
 *   model's batches list from one partition.
 * - `{prefix}Documents`: PartitionKey = batch id. Document rows `d<index>`; counter shards
 *   `c<shard>`. A document's final status and its shard's count change in one entity-group
 *   transaction, so counts are exact under retries and duplicate deliveries, and a status poll
 *   reads one batch row plus the shards: its cost does not grow with the batch.
 */
export const COUNTER_SHARDS = 16;
const DOCUMENT_ROW_PREFIX = "d";
const COUNTER_ROW_PREFIX = "c";

export interface BatchRecord {
  batchId: string;
  modelId: string;
  apiVersion: string;
  status: BatchStatus;
  createdDateTime: string;
  lastUpdatedDateTime: string;
  completedDateTime?: string;
  source: { kind: "container"; url: string; prefix: string } | { kind: "fileList"; url: string; fileList: string };
  /** The source container URL with its SAS, sealed; absent when the app's identity is used. */
  sealedSourceUrl?: string;
  resultUrl: string;
  sealedResultUrl?: string;
  resultPrefix: string;
  overwriteExisting: boolean;
  /** AnalyzeOptions as JSON. */
  options: string;
  documentCount?: number;
  /** Documents per leaf sub-orchestration, fixed when the batch was listed. */
  documentsPerLeaf?: number;
  cancelRequested: boolean;
  /** Deleted by its caller: invisible at once, its rows removed by the next purge. */
  deleted?: boolean;
  error?: DiErrorBody;
}

export interface DocumentRecord {
  index: number;
  name: string;
  status: DocumentStatus;
  updatedDateTime: string;
  error?: DiErrorBody;
}

export interface BatchSummary {
  batch: BatchRecord;
  counts: DocumentCounts;
}

export interface StatusTableOptions {
  tablePrefix: string;
  now?: () => Date;
}

type BatchEntity = Omit<BatchRecord, "source" | "error"> & {
  partitionKey: string;
  rowKey: string;
  sourceKind: string;
  sourceUrl: string;
  sourcePrefix?: string;
  sourceFileList?: string;
  errorJson?: string;
  completedAt?: Date;
};

type DocumentEntity = {
  partitionKey: string;
  rowKey: string;
  index: number;
  name: string;
  status: DocumentStatus;
  updatedDateTime: string;
  errorJson?: string;
};

type CounterEntity = DocumentCounts & { partitionKey: string; rowKey: string };

const MAX_CONFLICT_RETRIES = 50;

export class StatusTable {
  private readonly batches: TableClient;
  private readonly documents: TableClient;
  private ready?: Promise<void>;
  private readonly now: () => Date;
  /**
   * Counter shards as this process last wrote them. Saves the shard read on most documents;
   * a stale entry only costs a 412 and a re-read, never a wrong count.
   */
  private readonly shards = new Map<string, { counts: DocumentCounts; etag: string }>();

  constructor(storage: AppStorage, options: StatusTableOptions) {
    this.batches = storage.table(`${options.tablePrefix}Batches`);
    this.documents = storage.table(`${options.tablePrefix}Documents`);
    this.now = options.now ?? (() => new Date());
  }

  /** Creates the tables once per process. */
  ensureTables(): Promise<void> {
    this.ready ??= Promise.all([createIfMissing(this.batches), createIfMissing(this.documents)]).then(() => undefined);
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  async createBatch(batch: BatchRecord): Promise<void> {
    await this.ensureTables();
    await this.batches.createEntity(toBatchEntity(batch));
  }

  async getBatch(modelId: string, batchId: string): Promise<(BatchRecord & { etag: string }) | undefined> {
    await this.ensureTables();
    try {
      const entity = await this.batches.getEntity<BatchEntity>(modelId, batchId);
      return { ...fromBatchEntity(entity), etag: entity.etag };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /** The batch row and its document counts: two requests whatever the batch's size. */
  async getSummary(modelId: string, batchId: string): Promise<BatchSummary | undefined> {
    const [batch, counts] = await Promise.all([this.getBatch(modelId, batchId), this.readCounts(batchId)]);
    return batch ? { batch, counts } : undefined;
  }

  /**
   * Read-modify-write of a batch row with optimistic concurrency. `change` returns the fields
   * to set, or undefined to leave the row alone. Status changes that would move backwards are
   * dropped. Returns the row as stored afterwards.
   */
  async updateBatch(
    modelId: string,
    batchId: string,
    change: (current: BatchRecord) => Partial<BatchRecord> | undefined,
  ): Promise<BatchRecord | undefined> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const current = await this.getBatch(modelId, batchId);
      if (!current) return undefined;
      const patch = change(current);
      if (!patch) return current;
      if (patch.status && !batchMayMove(current.status, patch.status)) delete patch.status;
      const next: BatchRecord = { ...current, ...patch, lastUpdatedDateTime: this.now().toISOString() };
      try {
        await this.batches.updateEntity(toBatchEntity(next), "Replace", { etag: current.etag });
        return next;
      } catch (error) {
        if (!isStatus(error, 412)) throw error;
      }
    }
    throw new Error(`Batch ${batchId} is being changed by too many writers at once`);
  }

  async deleteBatch(modelId: string, batchId: string): Promise<void> {
    await this.ensureTables();
    await ignoreStatus(404, this.batches.deleteEntity(modelId, batchId));
  }

  /** A model's batches, one page at a time. */
  async listBatches(
    modelId: string,
    options: { maxPageSize: number; continuationToken?: string },
  ): Promise<{ batches: BatchRecord[]; continuationToken?: string }> {
    await this.ensureTables();
    const pages = this.batches
      .listEntities<BatchEntity>({ queryOptions: { filter: odata`PartitionKey eq ${modelId} and deleted eq ${false}` } })
      .byPage({ maxPageSize: options.maxPageSize, continuationToken: options.continuationToken });
    const { value } = await pages.next();
    const page = value ?? [];
    return { batches: page.map(fromBatchEntity), continuationToken: page.continuationToken };
  }

  /** Every batch that finished before `cutoff` or was deleted, across models. */
  async *listBatchesToPurge(cutoff: Date): AsyncIterable<BatchRecord> {
    await this.ensureTables();
    const entities = this.batches.listEntities<BatchEntity>({
      queryOptions: { filter: odata`completedAt lt ${cutoff} or deleted eq ${true}` },
    });
    for await (const entity of entities) yield fromBatchEntity(entity);
  }

  /** Writes the counter shards and the given document rows (index order), 100 a transaction. */
  async addDocuments(batchId: string, firstIndex: number, names: readonly string[]): Promise<void> {
    await this.ensureTables();
    const updated = this.now().toISOString();
    const rows: DocumentEntity[] = names.map((name, offset) => ({
      partitionKey: batchId,
      rowKey: documentRowKey(firstIndex + offset),
      index: firstIndex + offset,
      name,
      status: "notStarted",
      updatedDateTime: updated,
    }));
    for (let start = 0; start < rows.length; start += 100) {
      const transaction = new TableTransaction();
      // Upserts keep a re-run of the listing activity idempotent; no document row has moved yet.
      for (const row of rows.slice(start, start + 100)) transaction.upsertEntity(row, "Replace");
      await this.documents.submitTransaction(transaction.actions);
    }
  }

  async createCounters(batchId: string): Promise<void> {
    await this.ensureTables();
    const transaction = new TableTransaction();
    for (let shard = 0; shard < COUNTER_SHARDS; shard++) {
      transaction.upsertEntity<CounterEntity>({ partitionKey: batchId, rowKey: counterRowKey(shard), ...NO_DOCUMENTS }, "Replace");
    }
    await this.documents.submitTransaction(transaction.actions);
  }

  async readCounts(batchId: string): Promise<DocumentCounts> {
    await this.ensureTables();
    const counts = { ...NO_DOCUMENTS };
    const shards = this.documents.listEntities<CounterEntity>({
      queryOptions: {
        filter: odata`PartitionKey eq ${batchId} and RowKey ge ${COUNTER_ROW_PREFIX} and RowKey lt ${DOCUMENT_ROW_PREFIX}`,
        select: ["succeeded", "failed", "skipped", "canceled"],
      },
    });
    for await (const shard of shards) {
      counts.succeeded += shard.succeeded ?? 0;
      counts.failed += shard.failed ?? 0;
      counts.skipped += shard.skipped ?? 0;
      counts.canceled += shard.canceled ?? 0;
    }
    return counts;
  }

  async getDocument(batchId: string, index: number): Promise<(DocumentRecord & { etag: string }) | undefined> {
    await this.ensureTables();
    try {
      const entity = await this.documents.getEntity<DocumentEntity>(batchId, documentRowKey(index));
      return { ...fromDocumentEntity(entity), etag: entity.etag };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /**
   * Records a document's outcome and counts it, exactly once: the row and its counter shard
   * change in one transaction guarded by both etags. Returns the document as stored, which is
   * the earlier outcome when the document had already finished. `known` (the row as last
   * written by this caller) saves a read on the first attempt.
   */
  async finishDocument(
    batchId: string,
    index: number,
    outcome: DocumentOutcome,
    error?: DiErrorBody,
    known?: DocumentRecord & { etag: string },
  ): Promise<DocumentRecord> {
    const shardKey = counterRowKey(index % COUNTER_SHARDS);
    const shardCacheKey = `${batchId}/${shardKey}`;
    let guess = known;
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const cachedShard = this.shards.get(shardCacheKey);
      const [current, shard] = await Promise.all([
        guess ?? this.getDocument(batchId, index),
        cachedShard ?? this.documents.getEntity<CounterEntity>(batchId, shardKey).then((entity) => ({ counts: pickCounts(entity), etag: entity.etag })),
      ]);
      guess = undefined;
      if (!current) throw new Error(`Document ${index} of batch ${batchId} has no status row`);
      if (isFinalDocumentStatus(current.status)) return current;
      const next: DocumentRecord = { ...current, status: outcome, error, updatedDateTime: this.now().toISOString() };
      const counts = { ...shard.counts, [outcome]: shard.counts[outcome] + 1 };
      const transaction = new TableTransaction();
      transaction.updateEntity(toDocumentEntity(batchId, next), "Replace", { etag: current.etag });
      transaction.updateEntity<CounterEntity>({ partitionKey: batchId, rowKey: shardKey, ...counts }, "Replace", { etag: shard.etag });
      try {
        const response = await this.documents.submitTransaction(transaction.actions);
        // Sub-responses come in the order of the actions: [document, shard].
        const shardEtag = response.subResponses[1]?.etag;
        this.rememberShard(shardCacheKey, shardEtag ? { counts, etag: shardEtag } : undefined);
        return next;
      } catch (caught) {
        if (!isStatus(caught, 412) && !isStatus(caught, 409)) throw caught;
        this.shards.delete(shardCacheKey);
        if (!cachedShard) await jitter(attempt);
      }
    }
    throw new Error(`Document ${index} of batch ${batchId} could not be recorded: too many concurrent writers`);
  }

  private rememberShard(key: string, shard: { counts: DocumentCounts; etag: string } | undefined): void {
    this.shards.delete(key);
    if (!shard) return;
    this.shards.set(key, shard);
    if (this.shards.size > 4096) this.shards.delete(this.shards.keys().next().value!);
  }

  /** A batch's documents in index order, a page at a time; never the whole batch in memory. */
  async *listDocuments(batchId: string, options: { pageSize?: number } = {}): AsyncIterable<DocumentRecord[]> {
    await this.ensureTables();
    const pages = this.documents
      .listEntities<DocumentEntity>({
        queryOptions: { filter: odata`PartitionKey eq ${batchId} and RowKey ge ${DOCUMENT_ROW_PREFIX} and RowKey lt ${"e"}` },
      })
      .byPage({ maxPageSize: options.pageSize ?? 1000 });
    for await (const page of pages) yield page.map(fromDocumentEntity);
  }

  /** The documents with indexes in [first, first+count), with their etags. */
  async *listDocumentRange(batchId: string, first: number, count: number): AsyncIterable<DocumentRecord & { etag: string }> {
    await this.ensureTables();
    const entities = this.documents.listEntities<DocumentEntity>({
      queryOptions: {
        filter: odata`PartitionKey eq ${batchId} and RowKey ge ${documentRowKey(first)} and RowKey lt ${documentRowKey(first + count)}`,
      },
    });
    for await (const entity of entities) yield { ...fromDocumentEntity(entity), etag: entity.etag };
  }

  /** Document indexes in [first, first+count) that have not finished. */
  async *listUnfinishedDocuments(batchId: string, first: number, count: number): AsyncIterable<DocumentRecord> {
    for await (const record of this.listDocumentRange(batchId, first, count)) {
      if (!isFinalDocumentStatus(record.status)) yield record;
    }
  }

  /** Deletes every document row and counter of a batch, 100 per transaction. */
  async deleteDocuments(batchId: string): Promise<number> {
    await this.ensureTables();
    let deleted = 0;
    const keys = this.documents
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${batchId}`, select: ["RowKey"] } })
      .byPage({ maxPageSize: 1000 });
    for await (const page of keys) {
      for (let start = 0; start < page.length; start += 100) {
        const transaction = new TableTransaction();
        for (const entity of page.slice(start, start + 100)) transaction.deleteEntity(batchId, entity.rowKey!);
        await this.documents.submitTransaction(transaction.actions);
        deleted += Math.min(100, page.length - start);
      }
    }
    return deleted;
  }
}

export function documentRowKey(index: number): string {
  return `${DOCUMENT_ROW_PREFIX}${String(index).padStart(9, "0")}`;
}

function counterRowKey(shard: number): string {
  return `${COUNTER_ROW_PREFIX}${String(shard).padStart(2, "0")}`;
}

function pickCounts(entity: Partial<DocumentCounts>): DocumentCounts {
  return {
    succeeded: entity.succeeded ?? 0,
    failed: entity.failed ?? 0,
    skipped: entity.skipped ?? 0,
    canceled: entity.canceled ?? 0,
  };
}

function toBatchEntity(batch: BatchRecord): BatchEntity {
  const { source, error, ...rest } = batch;
  const entity: BatchEntity = {
    ...rest,
    partitionKey: batch.modelId,
    rowKey: batch.batchId,
    sourceKind: source.kind,
    sourceUrl: source.url,
    ...(source.kind === "container" ? { sourcePrefix: source.prefix } : { sourceFileList: source.fileList }),
    ...(error ? { errorJson: JSON.stringify(error) } : {}),
    ...(batch.completedDateTime ? { completedAt: new Date(batch.completedDateTime) } : {}),
  };
  for (const key of Object.keys(entity) as (keyof BatchEntity)[]) if (entity[key] === undefined) delete entity[key];
  delete (entity as Partial<{ etag: string }>).etag;
  return entity;
}

function fromBatchEntity(entity: TableEntityResult<BatchEntity>): BatchRecord {
  return {
    batchId: entity.batchId,
    modelId: entity.modelId,
    apiVersion: entity.apiVersion,
    status: entity.status,
    createdDateTime: entity.createdDateTime,
    lastUpdatedDateTime: entity.lastUpdatedDateTime,
    completedDateTime: entity.completedDateTime,
    source:
      entity.sourceKind === "fileList"
        ? { kind: "fileList", url: entity.sourceUrl, fileList: entity.sourceFileList ?? "" }
        : { kind: "container", url: entity.sourceUrl, prefix: entity.sourcePrefix ?? "" },
    sealedSourceUrl: entity.sealedSourceUrl,
    resultUrl: entity.resultUrl,
    sealedResultUrl: entity.sealedResultUrl,
    resultPrefix: entity.resultPrefix ?? "",
    overwriteExisting: entity.overwriteExisting ?? false,
    options: entity.options,
    documentCount: entity.documentCount,
    documentsPerLeaf: entity.documentsPerLeaf,
    cancelRequested: entity.cancelRequested ?? false,
    deleted: entity.deleted ?? false,
    error: entity.errorJson ? (JSON.parse(entity.errorJson) as DiErrorBody) : undefined,
  };
}

function toDocumentEntity(batchId: string, document: DocumentRecord): DocumentEntity {
  return {
    partitionKey: batchId,
    rowKey: documentRowKey(document.index),
    index: document.index,
    name: document.name,
    status: document.status,
    updatedDateTime: document.updatedDateTime,
    ...(document.error ? { errorJson: JSON.stringify(document.error) } : {}),
  };
}

function fromDocumentEntity(entity: DocumentEntity): DocumentRecord {
  return {
    index: entity.index,
    name: entity.name,
    status: entity.status,
    updatedDateTime: entity.updatedDateTime,
    error: entity.errorJson ? (JSON.parse(entity.errorJson) as DiErrorBody) : undefined,
  };
}

async function createIfMissing(table: TableClient): Promise<void> {
  try {
    await table.createTable();
  } catch (error) {
    if (!isStatus(error, 409)) throw error;
  }
}

export function isStatus(error: unknown, status: number): boolean {
  return error instanceof RestError ? error.statusCode === status : (error as { statusCode?: number })?.statusCode === status;
}

async function ignoreStatus(status: number, promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!isStatus(error, status)) throw error;
  }
}

function jitter(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(200, 5 * 2 ** Math.min(attempt, 6));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
