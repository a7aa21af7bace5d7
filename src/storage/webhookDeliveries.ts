import { odata, RestError, type TableClient } from "@azure/data-tables";
import type { BatchEvent } from "../engine/announceBatch.js";
import type { BatchRef } from "../engine/refs.js";
import type { AppStorage } from "./appStorage.js";

/** Where one event's delivery stands: `retrying` after a failed attempt, `failed` once given up. */
export interface WebhookDelivery {
  eventId: string;
  type: string;
  kind: string;
  batchId: string;
  state: "delivered" | "retrying" | "failed";
  attempts: number;
  lastError?: string;
  /** ISO 8601. */
  updatedAt: string;
}

const PARTITION = "webhook";

/** The record of webhook deliveries, one row per event in a table of the app's account. */
export class WebhookDeliveries {
  private readonly table: TableClient;
  private ready: Promise<void> | undefined;

  constructor(
    storage: AppStorage,
    private readonly options: { prefix: string; now(): Date },
  ) {
    this.table = storage.table(`${options.prefix}webhooks`);
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.table.createTable().then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof RestError && error.statusCode === 409) return;
        this.ready = undefined;
        throw error;
      },
    );
    return this.ready;
  }

  /** Records an attempt's outcome (or, with countsAsAttempt false, the give-up). A lost race only miscounts attempts by one. */
  async recordAttempt(event: BatchEvent, ref: BatchRef, outcome: { state: WebhookDelivery["state"]; error?: string }, options: { countsAsAttempt?: boolean } = {}): Promise<void> {
    const previous = await this.get(event.id);
    const delivery: WebhookDelivery = {
      eventId: event.id,
      type: event.type,
      kind: ref.kind,
      batchId: ref.batchId,
      state: outcome.state,
      attempts: (previous?.attempts ?? 0) + (options.countsAsAttempt === false ? 0 : 1),
      ...(outcome.error ? { lastError: outcome.error.slice(0, 1000) } : {}),
      updatedAt: this.options.now().toISOString(),
    };
    const { eventId, ...columns } = delivery;
    await this.table.upsertEntity({ partitionKey: PARTITION, rowKey: eventId, ...columns }, "Replace");
  }

  async get(eventId: string): Promise<WebhookDelivery | undefined> {
    await this.ensureTable();
    try {
      const row = await this.table.getEntity<Omit<WebhookDelivery, "eventId">>(PARTITION, eventId);
      return { eventId, type: row.type, kind: row.kind, batchId: row.batchId, state: row.state, attempts: row.attempts, updatedAt: row.updatedAt, ...(row.lastError ? { lastError: row.lastError } : {}) };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /** Deliveries given up, newest changes last (for the operator). */
  async *failed(): AsyncIterable<WebhookDelivery> {
    await this.ensureTable();
    for await (const row of this.table.listEntities<Omit<WebhookDelivery, "eventId">>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION} and state eq ${"failed"}` } })) {
      yield { eventId: row.rowKey!, type: row.type, kind: row.kind, batchId: row.batchId, state: row.state, attempts: row.attempts, updatedAt: row.updatedAt, ...(row.lastError ? { lastError: row.lastError } : {}) };
    }
  }

  /** Removes rows not changed since `cutoff` (the purge timer, with the batches' retention). */
  async purgeOlderThan(cutoff: Date): Promise<number> {
    await this.ensureTable();
    let purged = 0;
    for await (const row of this.table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION} and updatedAt lt ${cutoff.toISOString()}`, select: ["RowKey"] } })) {
      await this.table.deleteEntity(PARTITION, row.rowKey!).catch((error: unknown) => {
        if (!(error instanceof RestError && error.statusCode === 404)) throw error;
      });
      purged++;
    }
    return purged;
  }
}
