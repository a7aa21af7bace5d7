import type { StatusStore, StoredItem } from "./statusStore.js";

/**
 * Item rows read a page at a time for the activities of one batch. Activities of a leaf run
 * side by side on an instance, so one range query serves most of them instead of a read each.
 * A row is handed out once and then dropped; a stale one only costs the outcome's write a
 * conflict and a re-read, never a wrong status.
 */
export class RecentItems {
  private readonly pages = new Map<string, { rows: Promise<Map<number, StoredItem>>; readAt: number }>();

  constructor(
    private readonly store: StatusStore,
    private readonly options: { pageSize: number; maxAgeMs: number; maxPages: number } = { pageSize: 100, maxAgeMs: 5_000, maxPages: 64 },
  ) {}

  async get(batchId: string, index: number): Promise<StoredItem | undefined> {
    const first = index - (index % this.options.pageSize);
    const key = `${batchId}/${first}`;
    const now = Date.now();
    let page = this.pages.get(key);
    if (!page || now - page.readAt >= this.options.maxAgeMs) {
      page = { rows: this.readPage(batchId, first), readAt: now };
      this.pages.set(key, page);
      page.rows.catch(() => this.pages.delete(key));
      while (this.pages.size > this.options.maxPages) this.pages.delete(this.pages.keys().next().value!);
    }
    const rows = await page.rows;
    const row = rows.get(index);
    if (row) {
      rows.delete(index);
      if (rows.size === 0) this.pages.delete(key);
      return row;
    }
    // Not in the page (already handed out: a redelivery): read it on its own.
    return this.store.getItem(batchId, index);
  }

  private async readPage(batchId: string, first: number): Promise<Map<number, StoredItem>> {
    const rows = new Map<number, StoredItem>();
    for await (const row of this.store.listItemRange(batchId, first, this.options.pageSize)) rows.set(row.index, row);
    return rows;
  }
}
