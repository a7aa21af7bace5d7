import { LRUCache } from "lru-cache";
import type { ItemRecord } from "./model.js";
import { isFinalItemStatus } from "./statusRules.js";
import type { StatusStore } from "./statusStore.js";

export interface SettledItemBlocksOptions {
  /** Indexes per block: one range query each (Table Storage answers up to 1,000 rows a page). */
  blockSize?: number;
  /** Rows kept across all batches; the least recently read blocks go first. */
  maxRows?: number;
}

/**
 * A batch's item rows for status polls, read in blocks of indexes. A settled item never changes
 * again (the store never replaces a final status), so a block whose every item is settled is
 * kept and later polls of a running batch re-read only the blocks still moving. Without it each
 * poll of a 2,000-document batch re-reads every row, and the polling client, not the work,
 * becomes the storage's main load. Each instance keeps its own blocks; that is safe for the
 * same reason. Deleted batches need no eviction: their polls stop at the batch row.
 */
export class SettledItemBlocks {
  private readonly blockSize: number;
  private readonly blocks: LRUCache<string, readonly ItemRecord[]>;

  constructor(
    private readonly store: Pick<StatusStore, "listItemRange">,
    options: SettledItemBlocksOptions = {},
  ) {
    this.blockSize = options.blockSize ?? 1000;
    this.blocks = new LRUCache({ maxSize: options.maxRows ?? 200_000, sizeCalculation: (rows) => Math.max(1, rows.length) });
  }

  /** The items of a batch with `itemCount` items, in index order, a block at a time. */
  async *listItems(batchId: string, itemCount: number): AsyncIterable<readonly ItemRecord[]> {
    for (let first = 0; first < itemCount; first += this.blockSize) {
      const key = `${batchId}/${first}`;
      let rows = this.blocks.get(key);
      if (!rows) {
        const read: ItemRecord[] = [];
        for await (const { etag: _etag, ...row } of this.store.listItemRange(batchId, first, this.blockSize)) read.push(row);
        const complete = read.length === Math.min(this.blockSize, itemCount - first);
        if (complete && read.every((row) => isFinalItemStatus(row.status))) this.blocks.set(key, read);
        rows = read;
      }
      yield rows;
    }
  }
}
