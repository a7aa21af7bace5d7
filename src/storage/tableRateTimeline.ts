import { RestError, type TableClient } from "@azure/data-tables";
import type { RateTimeline } from "../llm/rateTimeline.js";
import type { AppStorage } from "./appStorage.js";

const PARTITION = "timeline";
const MAX_CONFLICT_RETRIES = 50;

/**
 * A RateTimeline every app instance shares through one table row per limit (`freeAt`, in epoch
 * milliseconds), changed only with ETag-conditional writes: two instances can never claim the
 * same time. The row last written is kept with its ETag, so a lone instance claims with one
 * write; a conflict costs a read and another try. Instances' clocks are NTP-synchronized; a few
 * ms of skew shifts a claim by as much and never lets two overlap.
 */
export class TableRateTimeline implements RateTimeline {
  private known: { freeAt: number; etag: string } | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly ensureTable: () => Promise<void>,
    private readonly key: string,
  ) {}

  claim(ms: number, nowMs: number) {
    return this.change((freeAt) => {
      const start = Math.max(nowMs, freeAt);
      return { next: start + ms, result: { start, end: start + ms } };
    });
  }

  async holdUntil(untilMs: number) {
    await this.change((freeAt) => (freeAt >= untilMs ? undefined : { next: untilMs, result: undefined }));
  }

  async release(from: number, to: number) {
    await this.change((freeAt) => (freeAt === to ? { next: from, result: undefined } : undefined));
  }

  /** Applies `step` to the row under its ETag: the cached copy first, a fresh read after a conflict. */
  private async change<T>(step: (freeAt: number) => { next: number; result: T } | undefined): Promise<T> {
    await this.ensureTable();
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const current = this.known ?? (await this.read());
      const changed = step(current?.freeAt ?? Number.NEGATIVE_INFINITY);
      if (!changed) return undefined as T;
      try {
        const entity = { partitionKey: PARTITION, rowKey: this.key, freeAt: changed.next };
        const written = current ? await this.table.updateEntity(entity, "Replace", { etag: current.etag }) : await this.table.createEntity(entity);
        this.known = { freeAt: changed.next, etag: written.etag! };
        return changed.result;
      } catch (error) {
        const status = error instanceof RestError ? error.statusCode : undefined;
        if (status !== 412 && status !== 409 && status !== 404) throw error;
        this.known = undefined;
      }
    }
    throw new Error(`The rate timeline '${this.key}' is being changed by too many instances at once`);
  }

  private async read(): Promise<{ freeAt: number; etag: string } | undefined> {
    try {
      const row = await this.table.getEntity<{ freeAt: number }>(PARTITION, this.key);
      return { freeAt: Number(row.freeAt), etag: row.etag };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }
}

/** The timelines of one app: a table in its account, one row per upstream (and per Document Intelligence endpoint). */
export function tableRateTimelines(storage: AppStorage, options: { prefix: string }): (key: string) => RateTimeline {
  const table = storage.table(`${options.prefix}ratelimits`);
  let ready: Promise<void> | undefined;
  const ensureTable = () =>
    (ready ??= table.createTable().then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof RestError && error.statusCode === 409) return;
        ready = undefined;
        throw error;
      },
    ));
  const timelines = new Map<string, TableRateTimeline>();
  return (key) => {
    let timeline = timelines.get(key);
    if (!timeline) timelines.set(key, (timeline = new TableRateTimeline(table, ensureTable, key)));
    return timeline;
  };
}
