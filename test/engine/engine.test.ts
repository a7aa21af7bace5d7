import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Batches } from "../../src/engine/batches.js";
import { completeBatch, failUnfinishedItems, finalizeBatch } from "../../src/engine/completeBatch.js";
import { HostShutdownError } from "../../src/engine/hostShutdown.js";
import { InMemoryStatusStore } from "../../src/engine/inMemoryStatusStore.js";
import type { ItemResult } from "../../src/engine/batchKind.js";
import type { ItemRecord } from "../../src/engine/model.js";
import { prepareBatch } from "../../src/engine/prepareBatch.js";
import { processItems } from "../../src/engine/processItems.js";
import { purgeExpiredBatches } from "../../src/engine/purgeBatches.js";
import { RecentBatches } from "../../src/engine/recentBatches.js";
import type { BatchRef } from "../../src/engine/refs.js";
import { createFakeKind, inMemoryEngineDeps, type FakeSpec } from "../support/fakeKind.js";

/** The engine's activities on an in-memory store with a fake kind; `run` drives them in the orchestration's order. */
function givenEngine(options: { itemsPerActivity?: number; recordsRunning?: boolean } = {}) {
  const store = new InMemoryStatusStore();
  const fake = createFakeKind(() => store, options);
  const shutdown = new AbortController();
  const started: BatchRef[] = [];
  const deps = inMemoryEngineDeps(store, [fake.kind], { shutdown: shutdown.signal });
  const batches = new Batches({ store, runner: { start: async (ref) => void started.push(ref) }, now: deps.now });
  const create = (spec: FakeSpec, extra: { maxConcurrency?: number } = {}) => batches.create({ kind: "fake", spec: JSON.stringify(spec), ...extra });
  async function run(ref: BatchRef) {
    const prepared = await prepareBatch(ref, deps);
    if (prepared.outcome === "ready") {
      for (let index = 0; index < prepared.itemCount; index += prepared.itemsPerActivity) {
        await processItems({ ...ref, index, count: Math.min(prepared.itemsPerActivity, prepared.itemCount - index) }, deps);
      }
    }
    const finalized = "finalize" in prepared && prepared.finalize ? await finalizeBatch(ref, deps) : undefined;
    await completeBatch({ ...ref, ...(finalized ? { finalized } : {}) }, deps);
    return prepared;
  }
  async function items(batchId: string): Promise<ItemRecord[]> {
    const all: ItemRecord[] = [];
    for await (const page of store.listItems(batchId)) all.push(...page);
    return all;
  }
  return { store, fake, deps, batches, create, run, items, started, shutdown };
}

describe("engine (in-memory store, fake kind)", () => {
  test("phases run in order and are written as statuses; metrics are summed", async () => {
    const engine = givenEngine();
    const batch = await engine.create({ items: 12 });
    assert.deepEqual(engine.started, [{ kind: "fake", batchId: batch.batchId }]);
    await engine.run(batch);
    const seen = engine.fake.observed(batch.batchId);
    assert.deepEqual(seen.phases, ["preparing", ...Array(12).fill("processing"), "finalizing"]);
    const summary = await engine.batches.summary("fake", batch.batchId);
    assert.equal(summary?.batch.status, "succeeded");
    assert.equal(summary?.batch.itemCount, 12);
    assert.ok(summary?.batch.completedAt);
    assert.deepEqual(summary?.counts, { succeeded: 12, failed: 0, skipped: 0, canceled: 0 });
    assert.deepEqual(summary?.metrics, { units: (12 * 13) / 2 });
  });

  test("duplicate delivery of an item is counted once", async () => {
    const engine = givenEngine({ itemsPerActivity: 3 });
    const batch = await engine.create({ items: 6, delayMs: 5 });
    await prepareBatch(batch, engine.deps);
    const group = { kind: "fake", batchId: batch.batchId, index: 0, count: 3 };
    const [first, second] = await Promise.all([processItems(group, engine.deps), processItems(group, engine.deps)]);
    assert.deepEqual(first, ["succeeded", "succeeded", "succeeded"]);
    assert.deepEqual(second, ["succeeded", "succeeded", "succeeded"]);
    assert.deepEqual(await processItems(group, engine.deps), ["succeeded", "succeeded", "succeeded"], "a late redelivery changes nothing");
    assert.deepEqual((await engine.store.readCounts(batch.batchId)).counts, { succeeded: 3, failed: 0, skipped: 0, canceled: 0 });
    assert.deepEqual((await engine.store.readCounts(batch.batchId)).metrics, { units: 1 + 2 + 3 });
  });

  test("items whose result an earlier run recorded are settled with it, not processed again, and counted once", async () => {
    const engine = givenEngine({ itemsPerActivity: 4 });
    const batch = await engine.create({ items: 4 });
    await prepareBatch(batch, engine.deps);
    // A crash after items 1 and 2 were done (their results recorded), before the group's outcomes were written.
    const earlier = new Map<number, ItemResult>([
      [1, { status: "succeeded", metrics: { units: 100 } }],
      [2, { status: "succeeded", metrics: { units: 200 } }],
    ]);
    const asked: number[][] = [];
    engine.fake.kind.recordedResults = async (_batch, indexes) => {
      asked.push([...indexes]);
      return new Map(indexes.flatMap((index) => (earlier.has(index) ? [[index, earlier.get(index)!] as const] : [])));
    };
    const group = { kind: "fake", batchId: batch.batchId, index: 0, count: 4 };
    assert.deepEqual(await processItems(group, engine.deps), ["succeeded", "succeeded", "succeeded", "succeeded"]);
    assert.deepEqual(asked, [[0, 1, 2, 3]], "asked once for the group");
    assert.deepEqual(engine.fake.observed(batch.batchId).processed.sort(), [0, 3], "the recorded ones were not processed again");
    assert.deepEqual(await processItems(group, engine.deps), ["succeeded", "succeeded", "succeeded", "succeeded"], "a redelivery changes nothing");
    const { counts, metrics } = await engine.store.readCounts(batch.batchId);
    assert.deepEqual(counts, { succeeded: 4, failed: 0, skipped: 0, canceled: 0 });
    assert.deepEqual(metrics, { units: 1 + 100 + 200 + 4 });
  });

  test("retryable ItemErrors are retried, fatal ones fail at once with their code, unknown errors fail as InternalError, scrubbed", async () => {
    const engine = givenEngine();
    const batch = await engine.create({
      items: 4,
      failures: {
        0: { times: 2, error: "retryable", retryAfterMs: 5 },
        1: { times: 1, error: "fatal" },
        2: { times: 99, error: "unknown" },
        3: { times: 99, error: "retryable" },
      },
    });
    await engine.run(batch);
    const seen = engine.fake.observed(batch.batchId);
    assert.deepEqual([0, 1, 2, 3].map((i) => seen.attempts.get(i)), [3, 1, 3, 4]);
    const items = await engine.items(batch.batchId);
    assert.deepEqual(items.map((i) => i.status), ["succeeded", "failed", "failed", "failed"]);
    assert.deepEqual(items[1].error, { code: "BadItem", message: "item 1 failed", details: { index: 1 } });
    assert.equal(items[2].error?.code, "InternalError");
    assert.doesNotMatch(items[2].error!.message, /secret/);
    assert.equal(items[3].error?.code, "Busy");
    assert.equal((await engine.store.getBatch("fake", batch.batchId))?.status, "succeeded", "failed items leave the batch succeeded");
  });

  test("cancel: items not started are canceled, the kind still finalizes, the batch ends canceled", async () => {
    const engine = givenEngine();
    const batch = await engine.create({ items: 5 });
    await prepareBatch(batch, engine.deps);
    await processItems({ kind: "fake", batchId: batch.batchId, index: 0, count: 2 }, engine.deps);
    const canceling = await engine.batches.requestCancel("fake", batch.batchId);
    assert.equal(canceling?.cancelRequested, true);
    assert.equal(canceling?.status, "processing", "cancel is a request: the run ends it");
    await processItems({ kind: "fake", batchId: batch.batchId, index: 2, count: 3 }, engine.deps);
    await completeBatch({ ...batch, finalized: await finalizeBatch(batch, engine.deps) }, engine.deps);
    const items = await engine.items(batch.batchId);
    assert.deepEqual(items.map((i) => i.status), ["succeeded", "succeeded", "canceled", "canceled", "canceled"]);
    assert.equal(engine.fake.observed(batch.batchId).finalizeCalls, 1);
    assert.equal((await engine.store.getBatch("fake", batch.batchId))?.status, "canceled");
  });

  test("cancel of a running batch whose row has no startedAt (written before the store kept it) is a request, and its items are counted", async () => {
    const engine = givenEngine();
    const batch = await engine.create({ items: 4 });
    await prepareBatch(batch, engine.deps);
    await processItems({ kind: "fake", batchId: batch.batchId, index: 0, count: 1 }, engine.deps);
    await engine.store.updateBatch("fake", batch.batchId, () => ({ startedAt: undefined }));
    for (const cancel of [() => engine.batches.requestCancel("fake", batch.batchId), () => engine.batches.delete("fake", batch.batchId)]) {
      await cancel();
      assert.equal((await engine.store.getBatch("fake", batch.batchId))?.status, "processing", "not final before the items settle");
    }
    await processItems({ kind: "fake", batchId: batch.batchId, index: 1, count: 3 }, engine.deps);
    await completeBatch(batch, engine.deps);
    const summary = await engine.batches.summary("fake", batch.batchId);
    assert.equal(summary?.batch.status, "canceled");
    assert.deepEqual(summary?.counts, { succeeded: 1, failed: 0, skipped: 0, canceled: 3 });
  });

  test("a batch created but not started: items can be added, cancel ends it at once, start starts it once", async () => {
    const engine = givenEngine();
    const waiting = await engine.batches.create({ kind: "fake", spec: JSON.stringify({ items: 1 }), start: false });
    assert.deepEqual(engine.started, []);
    await engine.batches.start("fake", waiting.batchId);
    await engine.batches.start("fake", waiting.batchId);
    assert.deepEqual(engine.started, [{ kind: "fake", batchId: waiting.batchId }]);
    const never = await engine.batches.create({ kind: "fake", spec: JSON.stringify({ items: 1 }), start: false });
    const canceled = await engine.batches.requestCancel("fake", never.batchId);
    assert.equal(canceled?.status, "canceled");
    assert.ok(canceled?.completedAt);
  });

  test("a cancel made through this instance is seen by its next activity, though the batch row is cached", async () => {
    const store = new InMemoryStatusStore();
    const fake = createFakeKind(() => store, { itemsPerActivity: 1 });
    // Rows kept for a minute: only the cancel's own eviction can make the next activity see it.
    const deps = { ...inMemoryEngineDeps(store, [fake.kind]), recentBatches: new RecentBatches(store, { maxAgeMs: 60_000, maxEntries: 16 }) };
    const batches = new Batches({ store, runner: { start: async () => undefined }, now: deps.now, recentBatches: deps.recentBatches });
    const batch = await batches.create({ kind: "fake", spec: JSON.stringify({ items: 3 }) });
    await prepareBatch(batch, deps);
    const item = (index: number) => processItems({ kind: "fake", batchId: batch.batchId, index, count: 1 }, deps);
    assert.deepEqual(await item(0), ["succeeded"]);
    await batches.requestCancel("fake", batch.batchId);
    assert.deepEqual(await item(1), ["canceled"]);
    const other = await batches.create({ kind: "fake", spec: JSON.stringify({ items: 2 }) });
    await prepareBatch(other, deps);
    assert.deepEqual(await processItems({ kind: "fake", batchId: other.batchId, index: 0, count: 1 }, deps), ["succeeded"]);
    assert.equal(await batches.delete("fake", other.batchId), "canceled");
    assert.deepEqual(await processItems({ kind: "fake", batchId: other.batchId, index: 1, count: 1 }, deps), ["canceled"]);
  });

  test("a host shutdown gives the item back instead of failing it", async () => {
    const engine = givenEngine();
    const batch = await engine.create({ items: 2, gated: true });
    await prepareBatch(batch, engine.deps);
    const processing = processItems({ kind: "fake", batchId: batch.batchId, index: 0, count: 2 }, engine.deps);
    while (engine.fake.observed(batch.batchId).inFlight < 2) await new Promise((resolve) => setImmediate(resolve));
    engine.shutdown.abort(new HostShutdownError());
    await assert.rejects(processing, HostShutdownError);
    assert.deepEqual((await engine.items(batch.batchId)).map((i) => i.status), ["notStarted", "notStarted"]);
    assert.deepEqual((await engine.store.readCounts(batch.batchId)).counts, { succeeded: 0, failed: 0, skipped: 0, canceled: 0 });
  });

  test("running is recorded for kinds that ask; unfinished items of a leaf that gave up are failed once", async () => {
    const engine = givenEngine({ recordsRunning: true });
    const batch = await engine.create({ items: 3, gated: true });
    await prepareBatch(batch, engine.deps);
    const processing = processItems({ kind: "fake", batchId: batch.batchId, index: 0, count: 1 }, engine.deps);
    while (engine.fake.observed(batch.batchId).inFlight < 1) await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await engine.store.getItem(batch.batchId, 0))?.status, "running");
    engine.fake.release(batch.batchId);
    await processing;
    assert.equal(await failUnfinishedItems({ kind: "fake", batchId: batch.batchId, first: 0, count: 3, reason: "gave up: https://x/y?sig=abc" }, engine.deps), 2);
    const items = await engine.items(batch.batchId);
    assert.deepEqual(items.map((i) => i.status), ["succeeded", "failed", "failed"]);
    assert.doesNotMatch(items[1].error!.message, /abc/);
  });

  test("delete: a running batch is canceled, a final one disappears; the purge calls the kind's purge first", async () => {
    const engine = givenEngine();
    const running = await engine.create({ items: 1 });
    assert.equal(await engine.batches.delete("fake", running.batchId), "canceled");
    const done = await engine.create({ items: 2 });
    await engine.run(done);
    assert.equal(await engine.batches.delete("fake", done.batchId), "deleted");
    assert.equal(await engine.batches.summary("fake", done.batchId), undefined);
    assert.equal(await engine.batches.delete("fake", done.batchId), "notFound");
    const purged: string[] = [];
    const report = await purgeExpiredBatches({
      store: engine.store,
      kinds: engine.deps.kinds,
      purgeInstance: async (id) => void purged.push(id),
      now: () => new Date(),
      retentionHours: 24,
    });
    assert.equal(report.batches, 1);
    assert.ok(engine.fake.observed(done.batchId).purged);
    assert.deepEqual(purged, [done.batchId, `${done.batchId}:0+2`]);
    assert.equal(await engine.store.getBatch("fake", done.batchId), undefined);
  });
});
