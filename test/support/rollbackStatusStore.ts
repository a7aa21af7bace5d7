import { InMemoryStatusStore } from "../../src/engine/inMemoryStatusStore.js";
import type { ItemOutcome, ItemRecord } from "../../src/engine/model.js";
import type { ItemFinish } from "../../src/engine/statusStore.js";
import { isFinalItemStatus, NO_ITEMS } from "../../src/engine/statusRules.js";

/**
 * The in-memory store with writes it "loses" on demand, as a storage rolled back after a crash
 * does (a local Azurite that had not saved them): an item's outcome and its counter together
 * (one transaction lost), or only one of the two.
 */
export class RollbackStatusStore extends InMemoryStatusStore {
  private readonly toLose = new Map<number, { what: Loss; times: number }>();

  /** The next `times` outcomes recorded for these item indexes (any batch) are lost right after they were acknowledged. */
  loseNextOutcomes(indexes: readonly number[], what: Loss = "outcomeAndCounter", times = 1): void {
    for (const index of indexes) this.toLose.set(index, { what, times });
  }

  override async finishItems(batchId: string, finishes: readonly ItemFinish[]): Promise<ItemRecord[]> {
    const records = await super.finishItems(batchId, finishes);
    for (const { index } of finishes) {
      const loss = this.toLose.get(index);
      if (!loss) continue;
      if (--loss.times <= 0) this.toLose.delete(index);
      this.lose(batchId, index, loss.what);
    }
    return records;
  }

  /** Item rows lost altogether (with their counts, when settled), as a rolled-back prepare loses them. */
  loseItemRows(batchId: string, indexes: readonly number[]): void {
    for (const index of indexes) {
      const row = this.items.get(batchId)?.get(index);
      if (!row) continue;
      if (isFinalItemStatus(row.record.status)) this.lose(batchId, index, "counter");
      this.items.get(batchId)!.delete(index);
    }
  }

  lose(batchId: string, index: number, what: Loss): void {
    const row = this.items.get(batchId)?.get(index);
    if (!row || !isFinalItemStatus(row.record.status)) throw new Error(`item ${index} has no outcome to lose`);
    if (what !== "outcome") {
      const totals = this.totals.get(batchId) ?? { counts: { ...NO_ITEMS }, metrics: {} };
      totals.counts[row.record.status as ItemOutcome]--;
      for (const [key, value] of Object.entries(row.record.metrics ?? {})) totals.metrics[key] = (totals.metrics[key] ?? 0) - value;
      this.totals.set(batchId, totals);
    }
    if (what !== "counter") {
      const { error: _error, metrics: _metrics, ...rest } = row.record;
      row.record = { ...rest, status: "notStarted" };
    }
  }
}

export type Loss = "outcomeAndCounter" | "outcome" | "counter";
