import type { StatusStore } from "../../engine/statusStore.js";
import type { ItemRecord, ItemStatus } from "../../engine/model.js";
import { csvCell } from "../uploadBatch/resultsCsv.js";
import { itemView, reasonOf } from "./batchView.js";

export const ITEM_STATUSES: readonly ItemStatus[] = ["notStarted", "running", "succeeded", "failed", "skipped", "canceled"];

export interface ItemQuery {
  statuses?: readonly ItemStatus[];
  /** Kept when the item's name (a path, a custom_id) contains it, ignoring case. */
  search?: string;
  /** Start at this index (the `next` of the page before). */
  from?: number;
  limit: number;
}

/** Rows read per store page; a search reads at most `scanLimit` rows per request, then says where to go on. */
const PAGE_SIZE = 500;
const SCAN_LIMIT = 20_000;

/**
 * One page of a batch's items in index order. A search reads the rows in order until the page is
 * full or SCAN_LIMIT rows were read, so a request costs a bounded number of reads; `next` says
 * where the following page starts.
 */
export async function queryItems(store: StatusStore, batchId: string, query: ItemQuery) {
  const needle = query.search?.toLowerCase();
  const items: ReturnType<typeof itemView>[] = [];
  let scanned = 0;
  let next: number | undefined;
  outer: for await (const page of store.listItems(batchId, { pageSize: PAGE_SIZE, ...(query.statuses?.length ? { statuses: query.statuses } : {}) })) {
    for (const item of page) {
      if (query.from !== undefined && item.index < query.from) continue;
      if (items.length >= query.limit || scanned >= SCAN_LIMIT) {
        next = item.index;
        break outer;
      }
      scanned++;
      if (needle && !item.name.toLowerCase().includes(needle)) continue;
      items.push(itemView(item));
    }
  }
  return { items, ...(next !== undefined ? { next } : {}) };
}

const CSV_COLUMNS = ["index", "name", "status", "code", "message", "reason_code", "reason_message", "updated_at"];

/** Items (by default the failed ones) as CSV, streamed a store page at a time. */
export async function* itemsCsv(store: StatusStore, batchId: string, statuses: readonly ItemStatus[]): AsyncIterable<Uint8Array> {
  const encoder = new TextEncoder();
  yield encoder.encode(`${CSV_COLUMNS.join(",")}\r\n`);
  for await (const page of store.listItems(batchId, { pageSize: PAGE_SIZE, statuses })) {
    // Never an empty chunk: the local host stalls the answer on one (a batch with no failed items hung).
    if (page.length > 0) yield encoder.encode(page.map(csvLine).join(""));
  }
}

function csvLine(item: ItemRecord): string {
  const reason = item.error ? reasonOf(item.error) : undefined;
  const cells = [String(item.index), item.name, item.status, item.error?.code ?? "", item.error?.message ?? "", reason?.code ?? "", reason?.message ?? "", item.updatedAt];
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** Points of the progress chart: at most this many, and at most TIMELINE_SCAN items read. */
const TIMELINE_POINTS = 60;
const TIMELINE_SCAN = 50_000;

/**
 * Items settled over time, from the settled items' own times: cumulative counts at up to
 * TIMELINE_POINTS moments. A batch larger than TIMELINE_SCAN items is charted from its first
 * TIMELINE_SCAN settled items (`complete: false`); the page adds live points as it polls.
 */
export async function settledTimeline(store: StatusStore, batchId: string) {
  const times: number[] = [];
  let complete = true;
  outer: for await (const page of store.listItems(batchId, { pageSize: 1000, statuses: ["succeeded", "failed", "skipped", "canceled"] })) {
    for (const item of page) {
      if (times.length >= TIMELINE_SCAN) {
        complete = false;
        break outer;
      }
      const at = Date.parse(item.updatedAt);
      if (Number.isFinite(at)) times.push(at);
    }
  }
  times.sort((a, b) => a - b);
  if (times.length === 0) return { points: [], complete };
  const first = times[0];
  const span = times[times.length - 1] - first;
  const step = Math.max(1, Math.ceil(span / (TIMELINE_POINTS - 1)));
  const points: { at: string; settled: number }[] = [];
  let index = 0;
  for (let edge = first; index < times.length; edge += step) {
    while (index < times.length && times[index] <= edge) index++;
    points.push({ at: new Date(edge).toISOString(), settled: index });
  }
  return { points, complete };
}
