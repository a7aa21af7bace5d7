import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { newBatchId } from "../../src/engine/batchIds.js";
import { lastChangeOf, type BatchRecord, type ItemRecord } from "../../src/engine/model.js";
import { BatchExistsError, type StatusStore } from "../../src/engine/statusStore.js";

/** The guarantees of src/engine/statusStore.ts, run against every StatusStore (table and in-memory). */
export function statusStoreContract(name: string, open: () => Promise<{ store: StatusStore; close(): Promise<void> }>): void {
  describe(`StatusStore contract: ${name}`, () => {
    let store: StatusStore;
    let close: () => Promise<void>;
    let created = 0;
    before(async () => ({ store, close } = await open()));
    after(async () => close?.());

    function batch(overrides: Partial<BatchRecord> = {}): BatchRecord {
      // Distinct milliseconds, so "newest first" has one right answer.
      const createdAt = new Date(Date.UTC(2026, 0, 1) + created++ * 1000);
      return {
        kind: "contract",
        batchId: newBatchId(createdAt),
        status: "notStarted",
        createdAt: createdAt.toISOString(),
        updatedAt: createdAt.toISOString(),
        cancelRequested: false,
        deleted: false,
        spec: JSON.stringify({ any: "thing" }),
        ...overrides,
      };
    }

    async function allItems(batchId: string, statuses?: ItemRecord["status"][]): Promise<ItemRecord[]> {
      const items: ItemRecord[] = [];
      for await (const page of store.listItems(batchId, { pageSize: 3, ...(statuses ? { statuses } : {}) })) items.push(...page);
      return items;
    }

    test("a batch is created once, read back as written, and missing ones are undefined", async () => {
      const b = batch({ labels: { modelId: "m1" }, maxConcurrency: 3, startedAt: "2026-01-01T00:00:05.000Z" });
      await store.createBatch(b);
      await assert.rejects(store.createBatch(b), BatchExistsError);
      const read = await store.getBatch(b.kind, b.batchId);
      assert.ok(read?.etag);
      const { etag: _etag, ...record } = read!;
      assert.deepEqual(record, b);
      assert.equal(await store.getBatch(b.kind, newBatchId()), undefined);
      assert.equal(await store.getBatch("otherKind", b.batchId), undefined);
      assert.equal(await store.updateBatch(b.kind, newBatchId(), () => ({ status: "processing" })), undefined);
    });

    test("status moves forward only, and a final status is never replaced", async () => {
      const b = batch();
      await store.createBatch(b);
      assert.equal((await store.updateBatch(b.kind, b.batchId, () => ({ status: "processing" })))?.status, "processing");
      assert.equal((await store.updateBatch(b.kind, b.batchId, () => ({ status: "preparing" })))?.status, "processing");
      assert.equal((await store.updateBatch(b.kind, b.batchId, () => ({ status: "canceled", completedAt: b.createdAt })))?.status, "canceled");
      const after = await store.updateBatch(b.kind, b.batchId, () => ({ status: "succeeded", itemCount: 4 }));
      assert.equal(after?.status, "canceled");
      assert.equal(after?.itemCount, 4, "other fields of the same change still apply");
      assert.equal((await store.getBatch(b.kind, b.batchId))?.status, "canceled");
    });

    test("concurrent read-modify-writes all apply", async () => {
      const b = batch({ itemCount: 0 });
      await store.createBatch(b);
      await Promise.all(Array.from({ length: 8 }, () => store.updateBatch(b.kind, b.batchId, (current) => ({ itemCount: (current.itemCount ?? 0) + 1 }))));
      assert.equal((await store.getBatch(b.kind, b.batchId))?.itemCount, 8);
    });

    test("a kind's batches list newest first, a page at a time, by label, without deleted ones", async () => {
      const kind = `list${created}`;
      const batches = Array.from({ length: 5 }, (_, i) => batch({ kind, labels: { modelId: i % 2 ? "odd" : "even" } }));
      for (const b of batches) await store.createBatch(b);
      await store.createBatch(batch({ kind: `${kind}x` }));
      await store.updateBatch(kind, batches[0].batchId, () => ({ deleted: true }));
      const newestFirst = batches.slice(1).reverse().map((b) => b.batchId);

      const seen: string[] = [];
      let continuationToken: string | undefined;
      do {
        const page = await store.listBatches(kind, { maxPageSize: 3, ...(continuationToken ? { continuationToken } : {}) });
        assert.ok(page.batches.length <= 3);
        seen.push(...page.batches.map((b) => b.batchId));
        continuationToken = page.continuationToken;
      } while (continuationToken);
      assert.deepEqual(seen, newestFirst);

      const after = await store.listBatches(kind, { maxPageSize: 10, after: newestFirst[1] });
      assert.deepEqual(after.batches.map((b) => b.batchId), newestFirst.slice(2));
      const even = await store.listBatches(kind, { maxPageSize: 10, labels: { modelId: "even" } });
      assert.deepEqual(even.batches.map((b) => b.batchId), [batches[4].batchId, batches[2].batchId]);
    });

    test("items are added idempotently; a settled item is never reset", async () => {
      const b = batch();
      await store.createBatch(b);
      await store.addItems(b.batchId, 0, [{ name: "a" }, { name: "b", data: '{"line":2}' }]);
      await store.addItems(b.batchId, 2, [{ name: "c" }]);
      await store.finishItem(b.batchId, 0, "succeeded");
      await store.addItems(b.batchId, 0, [{ name: "a" }, { name: "b", data: '{"line":2}' }]);
      const items = await allItems(b.batchId);
      assert.deepEqual(items.map((i) => [i.index, i.name, i.status, i.data]), [
        [0, "a", "succeeded", undefined],
        [1, "b", "notStarted", '{"line":2}'],
        [2, "c", "notStarted", undefined],
      ]);
      assert.deepEqual((await store.readCounts(b.batchId)).counts, { succeeded: 1, failed: 0, skipped: 0, canceled: 0 });
    });

    test("an outcome and its metrics count once under duplicate delivery; the summary has both", async () => {
      const b = batch();
      await store.createBatch(b);
      await store.addItems(b.batchId, 0, Array.from({ length: 20 }, (_, i) => ({ name: `item-${i}` })));
      await Promise.all(
        Array.from({ length: 60 }, (_, n) => {
          const index = n % 20;
          return index === 3
            ? store.finishItem(b.batchId, index, "failed", { error: { code: "Bad", message: "bad input", details: { line: 4 } } })
            : store.finishItem(b.batchId, index, "succeeded", { metrics: { tokens: 10, calls: 1 } });
        }),
      );
      const summary = await store.getSummary(b.kind, b.batchId);
      assert.deepEqual(summary?.counts, { succeeded: 19, failed: 1, skipped: 0, canceled: 0 });
      assert.deepEqual(summary?.metrics, { tokens: 190, calls: 19 });
      assert.equal(summary?.batch.batchId, b.batchId);
      const failed = await allItems(b.batchId, ["failed"]);
      assert.deepEqual(failed.map((i) => [i.index, i.error]), [[3, { code: "Bad", message: "bad input", details: { line: 4 } }]]);
      const first = await store.getItem(b.batchId, 0);
      assert.deepEqual(first?.metrics, { tokens: 10, calls: 1 });
      const again = await store.finishItem(b.batchId, 3, "succeeded");
      assert.equal(again.status, "failed", "the earlier record is returned");
    });

    test("items finished together count once under duplicate and overlapping deliveries, even from stale rows", async () => {
      const b = batch();
      await store.createBatch(b);
      await store.addItems(b.batchId, 0, Array.from({ length: 150 }, (_, i) => ({ name: `g${i}` })));
      // Rows read before anything settled: every delivery after the first holds stale etags.
      const stale = new Map<number, Awaited<ReturnType<typeof store.getItem>>>();
      for await (const item of store.listItemRange(b.batchId, 0, 150)) stale.set(item.index, item);
      const group = (first: number, count: number) =>
        Array.from({ length: count }, (_, offset) => {
          const index = first + offset;
          return index % 7 === 0
            ? { index, outcome: "failed" as const, error: { code: "Bad", message: `bad ${index}` }, known: stale.get(index) }
            : { index, outcome: "succeeded" as const, metrics: { tokens: 2 }, known: stale.get(index) };
        });
      const deliveries = [group(0, 10), group(0, 10), group(5, 10), group(10, 10), group(0, 150), group(140, 10), group(0, 10)];
      const results = await Promise.all(deliveries.map((finishes) => store.finishItems(b.batchId, finishes)));
      assert.deepEqual(results[0].map((r) => r.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "records come back in the order asked");
      const failed = Array.from({ length: 150 }, (_, i) => i).filter((i) => i % 7 === 0).length;
      const summary = await store.getSummary(b.kind, b.batchId);
      assert.deepEqual(summary?.counts, { succeeded: 150 - failed, failed, skipped: 0, canceled: 0 });
      assert.deepEqual(summary?.metrics, { tokens: 2 * (150 - failed) });
      for (const records of results) for (const record of records) assert.equal(record.status, record.index % 7 === 0 ? "failed" : "succeeded");
      assert.deepEqual((await store.getItem(b.batchId, 14))?.error, { code: "Bad", message: "bad 14" });
      const again = await store.finishItems(b.batchId, [{ index: 1, outcome: "canceled" }, { index: 7, outcome: "succeeded" }]);
      assert.deepEqual(again.map((r) => r.status), ["succeeded", "failed"], "settled items keep their earlier record");
    });

    test("running is recorded once and never over a settled item; ranges list in index order", async () => {
      const b = batch();
      await store.createBatch(b);
      await store.addItems(b.batchId, 0, Array.from({ length: 6 }, (_, i) => ({ name: `r${i}` })));
      assert.equal((await store.markItemRunning(b.batchId, 1))?.status, "running");
      assert.equal((await store.markItemRunning(b.batchId, 1))?.status, "running");
      const known = await store.getItem(b.batchId, 2);
      await store.finishItem(b.batchId, 2, "skipped", { known });
      assert.equal((await store.markItemRunning(b.batchId, 2))?.status, "skipped");
      const range: number[] = [];
      for await (const item of store.listItemRange(b.batchId, 1, 3)) range.push(item.index);
      assert.deepEqual(range, [1, 2, 3]);
      const done = await store.finishItem(b.batchId, 1, "succeeded", { known: await store.getItem(b.batchId, 1) });
      assert.equal(done.status, "succeeded");
    });

    test("the summary counts items running: once under duplicate marks, off again when they settle", async () => {
      const b = batch();
      await store.createBatch(b);
      await store.addItems(b.batchId, 0, Array.from({ length: 40 }, (_, i) => ({ name: `r${i}` })));
      assert.equal((await store.getSummary(b.kind, b.batchId))?.running, 0);
      // Items 0..19 marked three times each, side by side (16 shards: several items share one).
      await Promise.all(Array.from({ length: 60 }, (_, n) => store.markItemRunning(b.batchId, n % 20)));
      assert.equal((await store.getSummary(b.kind, b.batchId))?.running, 20);
      // Settling running items, duplicates and items never marked, all at once.
      await Promise.all([
        ...Array.from({ length: 14 }, (_, n) => store.finishItem(b.batchId, n % 7, n % 2 ? "failed" : "succeeded")),
        store.finishItem(b.batchId, 25, "skipped"),
        store.finishItem(b.batchId, 26, "canceled"),
      ]);
      const summary = await store.getSummary(b.kind, b.batchId);
      assert.equal(summary?.running, 13);
      assert.equal(summary!.counts.succeeded + summary!.counts.failed, 7);
      assert.equal((await store.markItemRunning(b.batchId, 25))?.status, "skipped");
      assert.equal((await store.getSummary(b.kind, b.batchId))?.running, 13, "a settled item is not counted running");
      const readCounts = await store.readCounts(b.batchId);
      assert.deepEqual(Object.keys(readCounts).sort(), ["counts", "metrics"]);
    });

    test("the summary says when an item last changed, so a running batch is seen moving without writing its row", async () => {
      const b = batch({ status: "processing", startedAt: "2026-01-01T00:00:00.000Z" });
      await store.createBatch(b);
      await store.addItems(b.batchId, 0, [{ name: "a" }, { name: "b" }]);
      const listed = await store.getSummary(b.kind, b.batchId);
      assert.ok(listed?.itemsChangedAt, "items listed are a change");
      const later = async (previous: string) => {
        // Clocks count in milliseconds: make sure the next change falls in a later one.
        while (Date.now() <= Date.parse(previous)) await new Promise((resolve) => setTimeout(resolve, 5));
      };
      await later(listed.itemsChangedAt);
      await store.markItemRunning(b.batchId, 0);
      const running = await store.getSummary(b.kind, b.batchId);
      assert.ok(Date.parse(running!.itemsChangedAt!) > Date.parse(listed.itemsChangedAt), `${running!.itemsChangedAt} after ${listed.itemsChangedAt}`);
      await later(running!.itemsChangedAt!);
      await store.finishItem(b.batchId, 0, "succeeded");
      const settled = await store.getSummary(b.kind, b.batchId);
      assert.ok(Date.parse(settled!.itemsChangedAt!) > Date.parse(running!.itemsChangedAt!));
      assert.equal(settled!.batch.updatedAt, b.updatedAt, "the batch row was not written");
      assert.equal(lastChangeOf(settled!), settled!.itemsChangedAt, "the batch's last change is its newest item change");
    });

    test("quiet unfinished batches: started, neither final nor deleted, unchanged since the given time", async () => {
      const startedAt = "2026-01-01T00:00:00.000Z";
      const expected = {
        processing: batch({ status: "processing", startedAt, itemCount: 3, itemsPerLeaf: 10 }),
        startedNeverRun: batch({ startedAt }),
        finalizing: batch({ status: "finalizing", startedAt }),
      };
      const left = {
        waitingForStart: batch(),
        succeeded: batch({ status: "succeeded", startedAt, completedAt: startedAt }),
        canceled: batch({ status: "canceled", startedAt, completedAt: startedAt }),
        deleted: batch({ status: "processing", startedAt, deleted: true }),
        recent: batch({ status: "processing", startedAt, updatedAt: new Date().toISOString() }),
      };
      for (const b of [...Object.values(expected), ...Object.values(left)]) await store.createBatch(b);
      const found = new Map<string, BatchRecord>();
      for await (const b of store.listQuietUnfinishedBatches(new Date(Date.now() - 600_000))) found.set(b.batchId, b);
      for (const [name, b] of Object.entries(expected)) assert.ok(found.has(b.batchId), `${name} is listed`);
      for (const [name, b] of Object.entries(left)) assert.ok(!found.has(b.batchId), `${name} is not listed`);
      assert.equal(found.get(expected.processing.batchId)?.itemCount, 3, "rows come back whole");
    });

    test("deleting a batch's items leaves no rows and zero counts", async () => {
      const b = batch({ status: "succeeded", completedAt: new Date(0).toISOString() });
      await store.createBatch(b);
      await store.addItems(b.batchId, 0, [{ name: "x" }, { name: "y" }]);
      await store.finishItem(b.batchId, 0, "succeeded", { metrics: { tokens: 3 } });
      assert.ok((await store.deleteItems(b.batchId)) >= 2);
      assert.deepEqual(await allItems(b.batchId), []);
      assert.deepEqual(await store.readCounts(b.batchId), { counts: { succeeded: 0, failed: 0, skipped: 0, canceled: 0 }, metrics: {} });
      const due: string[] = [];
      for await (const found of store.listBatchesToPurge(new Date(1000))) due.push(found.batchId);
      assert.ok(due.includes(b.batchId));
      await store.deleteBatch(b.kind, b.batchId);
      await store.deleteBatch(b.kind, b.batchId);
      assert.equal(await store.getBatch(b.kind, b.batchId), undefined);
    });
  
    test("reopened items leave the counters with their outcome and metrics, and count once when they settle again", async () => {
      const b = batch();
      await store.createBatch(b);
      await store.addItems(b.batchId, 0, Array.from({ length: 5 }, (_, i) => ({ name: `o${i}` })));
      await store.finishItem(b.batchId, 0, "succeeded", { metrics: { tokens: 3 } });
      await store.finishItem(b.batchId, 1, "failed", { error: { code: "Bad", message: "bad" } });
      await store.finishItem(b.batchId, 2, "skipped");
      assert.equal(await store.reopenItems(b.batchId, [0, 1, 3, 1]), 2, "items not settled are left alone");
      const reopened = await store.readCounts(b.batchId);
      assert.deepEqual(reopened.counts, { succeeded: 0, failed: 0, skipped: 1, canceled: 0 });
      assert.equal(reopened.metrics.tokens ?? 0, 0);
      const [first, second] = await Promise.all([store.getItem(b.batchId, 0), store.getItem(b.batchId, 1)]);
      assert.deepEqual([first?.status, first?.metrics, second?.status, second?.error], ["notStarted", undefined, "notStarted", undefined]);
      await store.finishItems(b.batchId, [{ index: 0, outcome: "succeeded", metrics: { tokens: 3 } }, { index: 1, outcome: "succeeded", metrics: { tokens: 1 } }]);
      const again = await store.readCounts(b.batchId);
      assert.deepEqual(again.counts, { succeeded: 2, failed: 0, skipped: 1, canceled: 0 });
      assert.equal(again.metrics.tokens, 4);
    });

    test("counters rebuilt from the rows lose no outcome recorded meanwhile", async () => {
      const b = batch();
      await store.createBatch(b);
      await store.addItems(b.batchId, 0, Array.from({ length: 40 }, (_, i) => ({ name: `c${i}` })));
      for (let index = 0; index < 20; index++) await store.finishItem(b.batchId, index, index % 5 ? "succeeded" : "failed", { metrics: { tokens: 2 } });
      await store.markItemRunning(b.batchId, 38);
      await store.markItemRunning(b.batchId, 39);
      await Promise.all([
        store.recountItems(b.batchId),
        ...Array.from({ length: 18 }, (_, n) => store.finishItem(b.batchId, 20 + n, "succeeded", { metrics: { tokens: 2 } })),
        store.recountItems(b.batchId),
      ]);
      const summary = await store.getSummary(b.kind, b.batchId);
      assert.deepEqual(summary?.counts, { succeeded: 34, failed: 4, skipped: 0, canceled: 0 });
      assert.deepEqual(summary?.metrics, { tokens: 76 });
      assert.equal(summary?.running, 2);
      assert.deepEqual((await store.recountItems(b.batchId)).counts, summary?.counts);
    });

    test("batches never started are due for the purge once unchanged for the retention period; started ones are not", async () => {
      const old = "2026-01-01T00:00:00.000Z";
      const due = batch({ updatedAt: old });
      const recent = batch({ updatedAt: new Date().toISOString() });
      const started = batch({ updatedAt: old, startedAt: old });
      const preparing = batch({ updatedAt: old, status: "preparing" });
      for (const b of [due, recent, started, preparing]) await store.createBatch(b);
      const found = new Set<string>();
      for await (const b of store.listBatchesToPurge(new Date(Date.now() - 3_600_000))) found.add(b.batchId);
      assert.ok(found.has(due.batchId), "never started and quiet");
      assert.ok(!found.has(recent.batchId), "never started but changed within the retention period");
      assert.ok(!found.has(started.batchId), "started: the stranded-batch sweep's");
      assert.ok(!found.has(preparing.batchId), "running");
    });

    test("64 concurrent slot claims get 0..63, each exactly once; then the limit refuses", async () => {
      const b = batch();
      await store.createBatch(b);
      const claims = await Promise.all(Array.from({ length: 64 }, () => store.claimSlot(b.batchId, { limit: 64 })));
      const indexes = claims.map((claim) => (claim.outcome === "claimed" ? claim.index : -1)).sort((x, y) => x - y);
      assert.deepEqual(indexes, Array.from({ length: 64 }, (_, i) => i));
      assert.deepEqual(await store.claimSlot(b.batchId, { limit: 64 }), { outcome: "full" });
      assert.deepEqual(await store.countSlots(b.batchId), { claimed: 64, sealed: false });
    });

    test("a seal ends the claims: claims racing it are either counted below it or refused; sealing again answers the same count", async () => {
      const b = batch();
      await store.createBatch(b);
      for (let i = 0; i < 3; i++) await store.claimSlot(b.batchId, { limit: 1000 });
      const racing = Array.from({ length: 40 }, () => store.claimSlot(b.batchId, { limit: 1000 }));
      const sealed = store.sealSlots(b.batchId);
      const [claims, count] = await Promise.all([Promise.all(racing), sealed]);
      const claimed = claims.flatMap((claim) => (claim.outcome === "claimed" ? [claim.index] : []));
      assert.ok(claims.every((claim) => claim.outcome !== "full"));
      assert.equal(count, 3 + claimed.length, "every claim that succeeded is counted, none after the seal");
      assert.deepEqual(claimed.sort((x, y) => x - y), Array.from({ length: claimed.length }, (_, i) => 3 + i));
      assert.deepEqual(await store.claimSlot(b.batchId, { limit: 1000 }), { outcome: "sealed" });
      assert.equal(await store.sealSlots(b.batchId), count);
      assert.deepEqual(await store.countSlots(b.batchId), { claimed: count, sealed: true });
      await store.deleteItems(b.batchId);
      assert.deepEqual(await store.countSlots(b.batchId), { claimed: 0, sealed: false });
    });
  });
}
