import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Batches } from "../../src/engine/batches.js";
import { completeBatch, finalizeBatch } from "../../src/engine/completeBatch.js";
import type { ItemRecord } from "../../src/engine/model.js";
import { prepareBatch } from "../../src/engine/prepareBatch.js";
import { processItems } from "../../src/engine/processItems.js";
import type { BatchRef } from "../../src/engine/refs.js";
import { MAX_REPAIR_ROUNDS, repairRuns, verifyBatch } from "../../src/engine/verifyBatch.js";
import { batchInstanceIds } from "../../src/orchestration/instanceIds.js";
import { createFakeKind, inMemoryEngineDeps, type FakeSpec } from "../support/fakeKind.js";
import { RollbackStatusStore } from "../support/rollbackStatusStore.js";

/**
 * The engine's activities in the orchestration's order on a store that loses writes on demand:
 * the range tree (with ranges the test may leave out, as a terminated orchestration does), then
 * the check before completion and its rounds of repairs, then finalize and the final status.
 */
function givenEngine() {
  const store = new RollbackStatusStore();
  const fake = createFakeKind(() => store, { itemsPerActivity: 2 });
  const deps = inMemoryEngineDeps(store, [fake.kind], { itemsPerLeaf: 4 });
  const batches = new Batches({ store, runner: { start: async () => undefined }, now: deps.now });
  const logs: string[] = [];
  const log = (message: string) => void logs.push(message);

  async function processSpan(ref: BatchRef, first: number, count: number, perActivity: number) {
    for (let index = first; index < first + count; index += perActivity) {
      await processItems({ ...ref, index, count: Math.min(perActivity, first + count - index) }, deps);
    }
  }

  async function checkAndFinish(ref: BatchRef, itemCount?: number) {
    for (let round = 0; ; round++) {
      const plan = await verifyBatch({ ...ref, round, ...(itemCount !== undefined ? { itemCount } : {}) }, deps, log);
      if (plan.runs.length === 0) break;
      for (const run of plan.runs) await processSpan(ref, run.first, run.count, plan.perActivity);
    }
    await completeBatch({ ...ref, finalized: await finalizeBatch(ref, deps) }, deps);
  }

  async function start(spec: FakeSpec): Promise<BatchRef> {
    const batch = await batches.create({ kind: "fake", spec: JSON.stringify(spec) });
    return { kind: batch.kind, batchId: batch.batchId };
  }

  /** Prepare and the tree, skipping items for which `skip` is true (a range that never ran). */
  async function runTree(ref: BatchRef, skip: (index: number) => boolean = () => false) {
    const prepared = await prepareBatch(ref, deps);
    assert.equal(prepared.outcome, "ready");
    if (prepared.outcome !== "ready") return;
    for (let index = 0; index < prepared.itemCount; index += prepared.itemsPerActivity) {
      if (!skip(index)) await processSpan(ref, index, Math.min(prepared.itemsPerActivity, prepared.itemCount - index), prepared.itemsPerActivity);
    }
  }

  async function outcome(ref: BatchRef) {
    const summary = (await store.getSummary(ref.kind, ref.batchId))!;
    const items: ItemRecord[] = [];
    for await (const page of store.listItems(ref.batchId)) items.push(...page);
    return { summary, items, seen: fake.observed(ref.batchId) };
  }

  return { store, fake, deps, logs, start, runTree, checkAndFinish, outcome, log };
}

const units = (items: number) => (items * (items + 1)) / 2;

describe("the invariant before a batch's final status (in-memory store that loses writes)", () => {
  test("outcomes lost with their counters are run again and counted once; the repair is logged and counted", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 10 });
    await engine.runTree(batch);
    engine.store.lose(batch.batchId, 3, "outcomeAndCounter");
    engine.store.lose(batch.batchId, 7, "outcomeAndCounter");
    await engine.checkAndFinish(batch);
    const { summary, items, seen } = await engine.outcome(batch);
    assert.equal(summary.batch.status, "succeeded");
    assert.deepEqual(summary.counts, { succeeded: 10, failed: 0, skipped: 0, canceled: 0 });
    assert.deepEqual(summary.metrics, { units: units(10) });
    assert.ok(items.every((item) => item.status === "succeeded"));
    assert.deepEqual([3, 7].map((index) => seen.attempts.get(index)), [2, 2]);
    assert.equal(seen.attempts.get(0), 1, "settled items are not run again");
    assert.deepEqual(summary.batch.repairs, { items: 2, counters: 0, lastRound: 0, runs: [{ round: 0, first: 3, count: 1 }, { round: 0, first: 7, count: 1 }] });
    assert.equal(engine.logs.length, 1);
    assert.match(engine.logs[0], /2 items unsettled, 0 succeeded without their result: run again \(round 1 of 3\)/);
  });

  test("a counter that lost a write its item row kept is rebuilt from the rows; the item is not run again", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 9 });
    await engine.runTree(batch);
    engine.store.lose(batch.batchId, 4, "counter");
    await engine.checkAndFinish(batch);
    const { summary, seen } = await engine.outcome(batch);
    assert.deepEqual(summary.counts, { succeeded: 9, failed: 0, skipped: 0, canceled: 0 });
    assert.deepEqual(summary.metrics, { units: units(9) });
    assert.equal(seen.attempts.get(4), 1);
    assert.equal(summary.batch.repairs?.counters, 1);
    assert.equal(summary.batch.repairs?.items, 0);
    assert.match(engine.logs.join("\n"), /counters rebuilt from the rows/);
  });

  test("an outcome lost while its counter kept it: found by the succeeded rows, run again, counted once", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 8 });
    await engine.runTree(batch);
    engine.store.lose(batch.batchId, 6, "outcome");
    assert.deepEqual((await engine.store.readCounts(batch.batchId)).counts.succeeded, 8, "the counters alone add up");
    await engine.checkAndFinish(batch);
    const { summary, items, seen } = await engine.outcome(batch);
    assert.deepEqual(summary.counts, { succeeded: 8, failed: 0, skipped: 0, canceled: 0 });
    assert.deepEqual(summary.metrics, { units: units(8) });
    assert.equal(items[6].status, "succeeded");
    assert.equal(seen.attempts.get(6), 2);
    assert.deepEqual({ items: summary.batch.repairs?.items, counters: summary.batch.repairs?.counters }, { items: 1, counters: 1 });
  });

  test("a range that never ran (a terminated orchestration) is run by the check; its instance ids are known to the purge", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 12 });
    await engine.runTree(batch, (index) => index >= 4 && index < 8);
    await engine.checkAndFinish(batch);
    const { summary, items } = await engine.outcome(batch);
    assert.equal(summary.batch.status, "succeeded");
    assert.deepEqual(summary.counts, { succeeded: 12, failed: 0, skipped: 0, canceled: 0 });
    assert.ok(items.every((item) => item.status === "succeeded"));
    assert.deepEqual(summary.batch.repairs?.runs, [{ round: 0, first: 4, count: 4 }]);
    assert.ok(batchInstanceIds(summary.batch).includes(`${batch.batchId}:r0:4+4`));
  });

  test("a succeeded item whose result is missing is run again and counted once", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 6, lostResults: [2] });
    await engine.runTree(batch);
    assert.ok(!engine.fake.observed(batch.batchId).results.has(2));
    await engine.checkAndFinish(batch);
    const { summary, seen } = await engine.outcome(batch);
    assert.deepEqual(summary.counts, { succeeded: 6, failed: 0, skipped: 0, canceled: 0 });
    assert.deepEqual(summary.metrics, { units: units(6) });
    assert.equal(seen.attempts.get(2), 2);
    assert.ok(seen.results.has(2));
    assert.equal(summary.batch.repairs?.items, 1);
    assert.match(engine.logs.join("\n"), /0 items unsettled, 1 succeeded without their result/);
  });

  test("what still cannot settle after the bounded rounds is failed with a clear error, never left notStarted", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 5 });
    await engine.runTree(batch);
    engine.store.lose(batch.batchId, 1, "outcomeAndCounter");
    // Every run again loses its outcome too; the store keeps the failure written after the last round.
    engine.store.loseNextOutcomes([1], "outcomeAndCounter", MAX_REPAIR_ROUNDS);
    await engine.checkAndFinish(batch);
    const { summary, items, seen } = await engine.outcome(batch);
    assert.equal(summary.batch.status, "succeeded");
    assert.deepEqual(summary.counts, { succeeded: 4, failed: 1, skipped: 0, canceled: 0 });
    assert.equal(items[1].status, "failed");
    assert.equal(items[1].error?.code, "InternalError");
    assert.match(items[1].error!.message, /outcome was lost .* Submit it again/);
    assert.equal(seen.attempts.get(1), 1 + MAX_REPAIR_ROUNDS);
    assert.equal(summary.batch.repairs?.items, MAX_REPAIR_ROUNDS + 1);
    assert.equal(summary.batch.repairs?.lastRound, MAX_REPAIR_ROUNDS);
  });

  test("item rows storage lost are listed again and run; so are all of them when the batch row lost its item count too", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 10 });
    await engine.runTree(batch);
    engine.store.loseItemRows(batch.batchId, [8, 9]);
    await engine.checkAndFinish(batch, 10);
    const first = await engine.outcome(batch);
    const seen = first.seen;
    let { summary, items } = first;
    assert.deepEqual(summary.counts, { succeeded: 10, failed: 0, skipped: 0, canceled: 0 });
    assert.equal(items.length, 10);
    assert.deepEqual([seen.attempts.get(7), seen.attempts.get(8)], [1, 2]);
    assert.match(engine.logs.join("\n"), /item rows were missing/);

    const other = await engine.start({ items: 6 });
    await engine.runTree(other);
    engine.store.loseItemRows(other.batchId, [0, 1, 2, 3, 4, 5]);
    await engine.store.updateBatch("fake", other.batchId, () => ({ itemCount: undefined }));
    await engine.checkAndFinish(other, 6);
    ({ summary, items } = await engine.outcome(other));
    assert.equal(summary.batch.status, "succeeded");
    assert.equal(summary.batch.itemCount, 6);
    assert.deepEqual(summary.counts, { succeeded: 6, failed: 0, skipped: 0, canceled: 0 });
    assert.ok(items.every((item) => item.status === "succeeded"));
  });

  test("a check delivered twice for one round runs the same items and counts its repairs once", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 6 });
    await engine.runTree(batch);
    engine.store.lose(batch.batchId, 5, "outcomeAndCounter");
    const first = await verifyBatch({ ...batch, round: 0 }, engine.deps, engine.log);
    const again = await verifyBatch({ ...batch, round: 0 }, engine.deps, engine.log);
    assert.deepEqual(again.runs, first.runs);
    assert.deepEqual(first.runs, [{ first: 5, count: 1 }]);
    assert.equal((await engine.store.getBatch("fake", batch.batchId))?.repairs?.items, 1);
  });

  test("a canceled batch's unsettled items are settled as canceled before it ends", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 6 });
    await engine.runTree(batch, (index) => index >= 2);
    const batches = new Batches({ store: engine.store, runner: { start: async () => undefined }, now: engine.deps.now });
    await batches.requestCancel("fake", batch.batchId);
    await engine.checkAndFinish(batch);
    const { summary, items } = await engine.outcome(batch);
    assert.equal(summary.batch.status, "canceled");
    assert.deepEqual(summary.counts, { succeeded: 2, failed: 0, skipped: 0, canceled: 4 });
    assert.ok(items.every((item) => item.status !== "notStarted"));
  });

  test("a result check that fails is logged and skipped: the batch still finishes", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 3 });
    await engine.runTree(batch);
    engine.fake.kind.findMissingResults = async () => {
      throw new Error("result container unreachable: https://acct.blob.core.windows.net/c?sig=secret");
    };
    try {
      await engine.checkAndFinish(batch);
    } finally {
      delete engine.fake.kind.findMissingResults;
    }
    const { summary } = await engine.outcome(batch);
    assert.equal(summary.batch.status, "succeeded");
    assert.deepEqual(summary.counts, { succeeded: 3, failed: 0, skipped: 0, canceled: 0 });
    assert.match(engine.logs.join("\n"), /results could not be checked/);
    assert.doesNotMatch(engine.logs.join("\n"), /secret/);
  });

  test("a healthy batch is checked with no repair and no log line", async () => {
    const engine = givenEngine();
    const batch = await engine.start({ items: 7 });
    await engine.runTree(batch);
    await engine.checkAndFinish(batch);
    const { summary } = await engine.outcome(batch);
    assert.equal(summary.batch.repairs, undefined);
    assert.deepEqual(engine.logs, []);
  });
});

describe("repair runs", () => {
  test("consecutive indexes make one run; past the limit the closest runs are joined", () => {
    assert.deepEqual(repairRuns([1, 2, 3, 7, 9, 10], 10), [
      { first: 1, count: 3 },
      { first: 7, count: 1 },
      { first: 9, count: 2 },
    ]);
    assert.deepEqual(repairRuns([1, 2, 3, 7, 9, 10], 2), [
      { first: 1, count: 3 },
      { first: 7, count: 4 },
    ]);
    const many = Array.from({ length: 1000 }, (_, i) => i * 3);
    const runs = repairRuns(many, 100);
    assert.equal(runs.length, 100);
    for (const index of many) assert.ok(runs.some((run) => index >= run.first && index < run.first + run.count), `${index} is covered`);
  });
});
