import type { TableClient } from "@azure/data-tables";
import type { BatchRecord, BatchStatus } from "../../engine/model.js";
import { isStatus, parseError, type TableStatusStore } from "../../storage/tableStatusStore.js";
import { DOCUMENT_INTELLIGENCE_KIND, type DocumentIntelligenceSpec } from "./spec.js";

/**
 * Batch rows written before the engine: PartitionKey = model id and DI's fields as columns.
 * They are moved to the engine's layout (PartitionKey = kind) the first time anything needs
 * them: a legacy activity of a batch still running, a status poll or delete of it, or a listing.
 * Item rows needed no change (the table store reads both forms). Remove with the legacy
 * orchestration (README: Upgrading).
 */
export class LegacyBatchRows {
  private readonly migrated = new Set<string>();
  private all?: Promise<number>;

  constructor(
    private readonly table: TableClient,
    private readonly store: TableStatusStore,
  ) {}

  /** Moves one batch's row if it is in the old layout; true when it was (or had just been) there. */
  async migrate(modelId: string, batchId: string): Promise<boolean> {
    if (this.migrated.has(batchId)) return false;
    await this.store.ensureTables();
    let entity: Record<string, unknown>;
    try {
      entity = await this.table.getEntity(modelId, batchId);
    } catch (error) {
      if (isStatus(error, 404)) {
        this.remember(batchId);
        return false;
      }
      throw error;
    }
    await this.move(entity);
    return true;
  }

  /** Moves every row still in the old layout, once per process. */
  migrateAll(): Promise<number> {
    this.all ??= (async () => {
      await this.store.ensureTables();
      let moved = 0;
      for await (const entity of this.table.listEntities<Record<string, unknown>>()) {
        if (typeof entity.kind === "string") continue;
        await this.move(entity);
        moved++;
      }
      return moved;
    })();
    this.all.catch(() => (this.all = undefined));
    return this.all;
  }

  private async move(entity: Record<string, unknown>): Promise<void> {
    const batch = fromLegacyEntity(entity);
    try {
      await this.store.createBatch(batch);
    } catch (error) {
      if (!isStatus(error, 409)) throw error; // moved by a concurrent caller
    }
    try {
      await this.table.deleteEntity(String(entity.partitionKey), String(entity.rowKey));
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    this.remember(batch.batchId);
  }

  private remember(batchId: string): void {
    this.migrated.add(batchId);
    if (this.migrated.size > 10_000) this.migrated.delete(this.migrated.values().next().value!);
  }
}

const byStore = new WeakMap<TableStatusStore, LegacyBatchRows>();

export function legacyBatchRows(store: TableStatusStore): LegacyBatchRows {
  let rows = byStore.get(store);
  if (!rows) byStore.set(store, (rows = new LegacyBatchRows(store.batchTable, store)));
  return rows;
}

/** An old-layout row as the engine's BatchRecord. */
export function fromLegacyEntity(entity: Record<string, unknown>): BatchRecord {
  const text = (name: string) => (typeof entity[name] === "string" ? (entity[name] as string) : undefined);
  const number = (name: string) => (typeof entity[name] === "number" ? (entity[name] as number) : undefined);
  const documentCount = number("documentCount");
  const documentsPerLeaf = number("documentsPerLeaf");
  const oldStatus = text("status") ?? "notStarted";
  const status: BatchStatus = oldStatus === "running" ? (documentCount !== undefined ? "processing" : "preparing") : (oldStatus as BatchStatus);
  const spec: DocumentIntelligenceSpec = {
    modelId: text("modelId") ?? String(entity.partitionKey),
    apiVersion: text("apiVersion") ?? "2024-11-30",
    source:
      text("sourceKind") === "fileList"
        ? { kind: "fileList", url: text("sourceUrl") ?? "", fileList: text("sourceFileList") ?? "" }
        : { kind: "container", url: text("sourceUrl") ?? "", prefix: text("sourcePrefix") ?? "" },
    ...(text("sealedSourceUrl") ? { sealedSourceUrl: text("sealedSourceUrl") } : {}),
    resultUrl: text("resultUrl") ?? "",
    ...(text("sealedResultUrl") ? { sealedResultUrl: text("sealedResultUrl") } : {}),
    resultPrefix: text("resultPrefix") ?? "",
    overwriteExisting: entity.overwriteExisting === true,
    options: JSON.parse(text("options") ?? "{}"),
  };
  const createdAt = text("createdDateTime") ?? new Date(0).toISOString();
  const completedAt = text("completedDateTime");
  const errorJson = text("errorJson");
  return {
    kind: DOCUMENT_INTELLIGENCE_KIND,
    batchId: text("batchId") ?? String(entity.rowKey),
    status,
    createdAt,
    updatedAt: text("lastUpdatedDateTime") ?? createdAt,
    // Every batch of the old layout was started when it was created.
    startedAt: createdAt,
    ...(completedAt ? { completedAt } : {}),
    ...(documentCount !== undefined ? { itemCount: documentCount } : {}),
    ...(documentsPerLeaf !== undefined ? { itemsPerLeaf: documentsPerLeaf } : {}),
    cancelRequested: entity.cancelRequested === true,
    deleted: entity.deleted === true,
    ...(errorJson ? { error: parseError(errorJson) } : {}),
    spec: JSON.stringify(spec),
    labels: { modelId: spec.modelId },
  };
}
