import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Batches } from "../../src/engine/batches.js";
import { InMemoryStatusStore } from "../../src/engine/inMemoryStatusStore.js";
import { prepareBatch } from "../../src/engine/prepareBatch.js";
import { processItems } from "../../src/engine/processItems.js";
import type { BatchRef } from "../../src/engine/refs.js";
import { recoverStrandedBatches, type InstanceState } from "../../src/engine/strandedBatches.js";
import { createFakeKind, inMemoryEngineDeps } from "../support/fakeKind.js";

const MINUTE = 60_000;

/** The engine on an in-memory store and a clock the test moves, with a durable backend the test says the state of. */
function givenSweep() {
  let now = Date.UTC(2026, 11, 4, 12);
  const clock = () => new Date(now);
  const store = new InMemoryStatusStore(clock);
  const fake = createFakeKind(() => store, { itemsPerActivity: 1 });
  const deps = { ...inMemoryEngineDeps(store, [fake.kind], { itemsPerLeaf: 2 }), now: clock };
  const started: BatchRef[] = [];
  const batches = new Batches({ store, runner: { start: async (ref) => void started.push(ref) }, now: clock });
  const instances = new Map<string, InstanceState>();
  const purged: string[] = [];
  const unreachable = new Set<string>();
  const sweep = () =>
    recoverStrandedBatches({
      store,
      runner: { start: async (ref) => void started.push(ref) },
      instanceState: async (id) => {
        if (unreachable.has(id)) throw new Error("durable backend: 503");
        return instances.get(id) ?? { state: "missing" };
      },
      purgeInstance: async (id) => void purged.push(id),
      now: clock,
    });
  const create = (items: number) => batches.create({ kind: "fake", spec: JSON.stringify({ items }) });
  const process = (ref: BatchRef, index: number) => processItems({ ...ref, index, count: 1 }, deps);
  return { store, deps, started, instances, unreachable, purged, sweep, create, process, advance: (ms: number) => (now += ms) };
}

describe("stranded-batch sweep (in-memory store)", () => {
  test("a batch whose orchestration is missing is started again once quiet; a fresh or running one is left alone", async () => {
    const sweep = givenSweep();
    const stranded = await sweep.create(3);
    const running = await sweep.create(1);
    sweep.instances.set(running.batchId, { state: "running" });
    assert.deepEqual(await sweep.sweep(), { checked: 0, restarted: 0, failed: 0, errors: 0 }, "rows changed within the quiet period are not looked at");

    sweep.advance(16 * MINUTE);
    sweep.started.length = 0;
    assert.deepEqual(await sweep.sweep(), { checked: 2, restarted: 1, failed: 0, errors: 0 });
    assert.deepEqual(sweep.started, [{ kind: "fake", batchId: stranded.batchId }]);
    assert.ok((await sweep.store.getBatch("fake", stranded.batchId))?.milestones?.restartedAt);
    assert.deepEqual(sweep.purged, [stranded.batchId], "the old history goes before the new start");
  });

  test("an orchestration that ended before its batch did: the batch restarts where it was, then is failed if it strands again", async () => {
    const sweep = givenSweep();
    const batch = await sweep.create(4);
    await prepareBatch(batch, sweep.deps);
    assert.deepEqual(await sweep.process(batch, 0), ["succeeded"]);
    sweep.instances.set(batch.batchId, { state: "ended", runtimeStatus: "Failed" });
    // A range of the old tree still runs: the restart waits for the next sweep.
    sweep.instances.set(`${batch.batchId}:2+2`, { state: "running" });
    sweep.advance(16 * MINUTE);
    sweep.started.length = 0;
    assert.deepEqual(await sweep.sweep(), { checked: 1, restarted: 0, failed: 0, errors: 0 });
    assert.deepEqual(sweep.started, []);

    sweep.instances.set(`${batch.batchId}:2+2`, { state: "ended", runtimeStatus: "Completed" });
    sweep.advance(16 * MINUTE);
    assert.deepEqual(await sweep.sweep(), { checked: 1, restarted: 1, failed: 0, errors: 0 });
    assert.deepEqual(sweep.started, [{ kind: "fake", batchId: batch.batchId }]);
    assert.deepEqual(new Set(sweep.purged), new Set([batch.batchId, `${batch.batchId}:0+4`, `${batch.batchId}:0+2`, `${batch.batchId}:2+2`]));
    // The restarted orchestration prepares again from the stored list; the settled item stays as it was.
    const prepared = await prepareBatch(batch, sweep.deps);
    assert.equal(prepared.outcome === "ready" && prepared.itemCount, 4);
    assert.deepEqual(await sweep.process(batch, 0), ["succeeded"]);
    assert.deepEqual(await sweep.process(batch, 1), ["succeeded"]);

    // Stranded again: failed, with its unfinished items, so the counts add up and it can expire.
    sweep.advance(16 * MINUTE);
    assert.deepEqual(await sweep.sweep(), { checked: 1, restarted: 0, failed: 1, errors: 0 });
    const summary = await sweep.store.getSummary("fake", batch.batchId);
    assert.equal(summary?.batch.status, "failed");
    assert.ok(summary?.batch.completedAt);
    assert.match(summary!.batch.error!.message, /orchestration ended \(Failed\) before the batch finished, again after a restart/);
    assert.deepEqual(summary?.counts, { succeeded: 2, failed: 2, skipped: 0, canceled: 0 });
    const item = await sweep.store.getItem(batch.batchId, 3);
    assert.equal(item?.status, "failed");
    assert.match(item!.error!.message, /orchestration ended \(Failed\)/);
    sweep.advance(16 * MINUTE);
    assert.deepEqual(await sweep.sweep(), { checked: 0, restarted: 0, failed: 0, errors: 0 }, "a final batch is not looked at again");
  });

  test("a batch the durable backend cannot answer for is counted and skipped; the others are still recovered", async () => {
    const sweep = givenSweep();
    const unanswered = await sweep.create(1);
    const stranded = await sweep.create(1);
    sweep.unreachable.add(unanswered.batchId);
    sweep.advance(16 * MINUTE);
    sweep.started.length = 0;
    assert.deepEqual(await sweep.sweep(), { checked: 2, restarted: 1, failed: 0, errors: 1 });
    assert.deepEqual(sweep.started, [{ kind: "fake", batchId: stranded.batchId }]);
    sweep.unreachable.clear();
    assert.deepEqual(await sweep.sweep(), { checked: 1, restarted: 1, failed: 0, errors: 0 }, "tried again at the next sweep (the restarted one changed just now)");
  });

  test("batches waiting for their caller's start, deleted or final are never restarted", async () => {
    const sweep = givenSweep();
    const store = sweep.store;
    const batches = new Batches({ store, runner: { start: async () => undefined }, now: () => new Date(Date.UTC(2026, 11, 4, 12)) });
    const waiting = await batches.create({ kind: "fake", spec: JSON.stringify({ items: 1 }), start: false });
    const finish = async () => {
      const batch = await sweep.create(1);
      await store.updateBatch("fake", batch.batchId, () => ({ status: "succeeded", completedAt: new Date(0).toISOString() }));
      return batch;
    };
    await finish();
    assert.equal(await batches.delete("fake", (await finish()).batchId), "deleted");
    sweep.advance(16 * MINUTE);
    sweep.started.length = 0;
    assert.deepEqual(await sweep.sweep(), { checked: 0, restarted: 0, failed: 0, errors: 0 });
    assert.deepEqual(sweep.started, []);
    assert.equal((await store.getBatch("fake", waiting.batchId))?.status, "notStarted");
  });
});
