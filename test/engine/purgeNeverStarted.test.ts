import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Batches } from "../../src/engine/batches.js";
import { InMemoryStatusStore } from "../../src/engine/inMemoryStatusStore.js";
import { purgeExpiredBatches } from "../../src/engine/purgeBatches.js";
import { createFakeKind, inMemoryEngineDeps } from "../support/fakeKind.js";

const HOUR = 3_600_000;

describe("purge of batches never started (injected clock)", () => {
  test("a batch created but never started goes once it has not changed for the retention period, with what its kind keeps", async () => {
    let now = Date.UTC(2026, 11, 1, 12);
    const clock = () => new Date(now);
    const store = new InMemoryStatusStore(clock);
    const fake = createFakeKind(() => store);
    const deps = { ...inMemoryEngineDeps(store, [fake.kind]), now: clock };
    const batches = new Batches({ store, runner: { start: async () => undefined }, now: clock });
    const purge = () => purgeExpiredBatches({ store, kinds: deps.kinds, purgeInstance: async () => undefined, now: clock, retentionHours: 24 });

    const abandoned = await batches.create({ kind: "fake", spec: JSON.stringify({ items: 1 }), start: false });
    const started = await batches.create({ kind: "fake", spec: JSON.stringify({ items: 1 }) });
    now += 20 * HOUR;
    const stillUsed = await batches.create({ kind: "fake", spec: JSON.stringify({ items: 1 }), start: false });
    now += 5 * HOUR;

    const report = await purge();
    assert.equal(report.batches, 1);
    assert.equal(await store.getBatch("fake", abandoned.batchId), undefined);
    assert.ok(fake.observed(abandoned.batchId).purged, "the kind's own data (uploads) went first");
    assert.ok(await store.getBatch("fake", started.batchId), "a started batch is the stranded-batch sweep's, not the purge's");
    assert.ok(await store.getBatch("fake", stillUsed.batchId), "changed within the retention period");

    // A change (an upload) restarts the wait.
    now += 20 * HOUR;
    await store.updateBatch("fake", stillUsed.batchId, () => ({ spec: JSON.stringify({ items: 2 }) }));
    now += 20 * HOUR;
    assert.equal((await purge()).batches, 0);
    now += 5 * HOUR;
    assert.equal((await purge()).batches, 1);
    assert.equal(await store.getBatch("fake", stillUsed.batchId), undefined);
  });
});
