import assert from "node:assert/strict";
import path from "node:path";
import { after, before, afterEach, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startLocalHost, type LocalHost } from "../../local-host/index.js";
import type { BatchRecord, ItemRecord } from "../../src/engine/model.js";
import { Batches } from "../../src/engine/batches.js";
import type { FakeSpec } from "../support/fakeKind.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const ENTRY = path.resolve(here, "../fixtures/engineApp/index.js");
type Fixture = typeof import("../fixtures/engineApp/index.js");

/** The engine's orchestrators through the local host's replay engine, on a fake kind (2 items per activity, leaves of 4). */
describe("runBatch orchestration through the local host", () => {
  let host: LocalHost;
  let fixture: Fixture;
  before(async () => {
    host = await startLocalHost({ entry: ENTRY, env: { DOCBATCH_TASK_HUB: "enginetest" }, maxConcurrentActivities: 8, log: () => undefined });
    // The same module instance the host loaded: its store and fake kind.
    fixture = (await import(pathToFileURL(ENTRY).href)) as Fixture;
  });
  afterEach(() => host.faults.clear());
  after(async () => host?.close());

  async function start(spec: FakeSpec, maxConcurrency?: number): Promise<BatchRecord> {
    const response = await fetch(`${host.url}/fake`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ spec, maxConcurrency }) });
    assert.equal(response.status, 201);
    return (await response.json()) as BatchRecord;
  }

  async function finish(batch: BatchRecord) {
    const instance = await host.durable.waitForInstance(batch.batchId, { timeoutMs: 60_000 });
    assert.equal(instance.runtimeStatus, "Completed", JSON.stringify(instance.output));
    const summary = await fixture.store.getSummary(batch.kind, batch.batchId);
    const items: ItemRecord[] = [];
    for await (const page of fixture.store.listItems(batch.batchId)) items.push(...page);
    return { summary: summary!, items, seen: fixture.fake.observed(batch.batchId) };
  }

  test("prepare → range tree → finalize (retried after failing twice) → finish, with the phases as statuses", async () => {
    const batch = await start({ items: 11, finalizeFailures: 2 });
    const { summary, seen } = await finish(batch);
    assert.equal(summary.batch.status, "succeeded");
    assert.deepEqual(summary.counts, { succeeded: 11, failed: 0, skipped: 0, canceled: 0 });
    assert.equal(seen.finalizeCalls, 3);
    assert.deepEqual(seen.phases, ["preparing", ...Array(11).fill("processing"), "finalizing", "finalizing", "finalizing"]);
    // Leaves of 4 under one root: the instance ids the purge derives.
    for (const range of ["0+11", "0+4", "4+4", "8+3"]) assert.ok(host.durable.getInstance(`${batch.batchId}:${range}`), range);
  });

  test("maxConcurrency is never exceeded across the whole tree", async () => {
    const limited = await start({ items: 30, delayMs: 15 }, 3);
    const { summary, seen } = await finish(limited);
    assert.deepEqual(summary.counts, { succeeded: 30, failed: 0, skipped: 0, canceled: 0 });
    assert.ok(seen.maxInFlight <= 3, `at most 3 in flight, saw ${seen.maxInFlight}`);
    assert.equal(seen.processed.length, 30);
    // The counter does see concurrency: without a limit the same batch runs wider.
    const unlimited = await finish(await start({ items: 30, delayMs: 15 }));
    assert.ok(unlimited.seen.maxInFlight > 3, `without a limit more than 3 run at once, saw ${unlimited.seen.maxInFlight}`);
  });

  test("a limit of 1 processes one item at a time even with two items per activity", async () => {
    const { summary, seen } = await finish(await start({ items: 7, delayMs: 5 }, 1));
    assert.equal(summary.counts.succeeded, 7);
    assert.equal(seen.maxInFlight, 1);
  });

  test("cancel: items in flight finish, the rest are canceled, finalize runs, the batch ends canceled", async () => {
    const batch = await start({ items: 12, gated: true }, 2);
    while (fixture.fake.observed(batch.batchId).inFlight < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const batches = new Batches({ store: fixture.store, runner: { start: async () => undefined }, now: () => new Date() });
    await batches.requestCancel(batch.kind, batch.batchId);
    fixture.fake.release(batch.batchId);
    const { summary, items, seen } = await finish(batch);
    assert.equal(summary.batch.status, "canceled");
    assert.equal(seen.finalizeCalls, 1);
    assert.deepEqual(items.map((i) => i.status), ["succeeded", "succeeded", ...Array(10).fill("canceled")]);
  });

  test("duplicate delivery and crashes after side effects of item activities keep counts exact", async () => {
    // Faults apply in the order they were added: two crashes, then every delivery duplicated.
    const crashed = host.faults.crashAfterActivity("processItems", { times: 2 });
    const duplicated = host.faults.duplicateActivity("processItems", { times: Infinity });
    const { summary, items } = await finish(await start({ items: 9 }));
    assert.ok(duplicated.triggered > 0 && crashed.triggered === 2);
    assert.deepEqual(summary.counts, { succeeded: 9, failed: 0, skipped: 0, canceled: 0 });
    assert.deepEqual(summary.metrics, { units: 45 });
    assert.ok(items.every((i) => i.status === "succeeded"));
  });

  test("outcomes storage lost under the running batch and a lost result are run again before it finishes, each counted once", async () => {
    // Items 1 and 6 lose their first recorded outcome with its counter (a rolled-back write),
    // item 9 its first outcome only (counter kept); item 4's first result goes missing.
    fixture.store.loseNextOutcomes([1, 6], "outcomeAndCounter");
    fixture.store.loseNextOutcomes([9], "outcome");
    const batch = await start({ items: 11, lostResults: [4] });
    const { summary, items, seen } = await finish(batch);
    assert.equal(summary.batch.status, "succeeded");
    assert.deepEqual(summary.counts, { succeeded: 11, failed: 0, skipped: 0, canceled: 0 });
    assert.deepEqual(summary.metrics, { units: 66 });
    assert.ok(items.every((i) => i.status === "succeeded"));
    assert.deepEqual([1, 4, 6, 9].map((index) => seen.attempts.get(index)), [2, 2, 2, 2]);
    assert.ok(seen.results.has(4));
    assert.equal(summary.batch.repairs?.items, 4);
    for (const run of summary.batch.repairs!.runs) assert.ok(host.durable.getInstance(`${batch.batchId}:r${run.round}:${run.first}+${run.count}`), `repair range ${run.first}+${run.count} ran`);
  });

  test("a range terminated mid-batch: what it left unsettled is run by the check, and the batch settles every item", async () => {
    // One item at a time: sub-ranges run in turn, so the terminated leaf's later items and the
    // ranges after it have not started.
    const batch = await start({ items: 12, delayMs: 40 }, 1);
    const leaf = `${batch.batchId}:4+4`;
    while (!host.durable.getInstance(leaf)) await new Promise((resolve) => setTimeout(resolve, 5));
    const terminated = await fetch(`${host.url}/fake/terminate/${encodeURIComponent(leaf)}`, { method: "POST" });
    assert.equal(terminated.status, 202);
    const { summary, items } = await finish(batch);
    assert.equal(summary.batch.status, "succeeded");
    assert.deepEqual(summary.counts, { succeeded: 12, failed: 0, skipped: 0, canceled: 0 }, JSON.stringify([items.filter((i) => i.status !== "succeeded"), summary.batch.repairs]));
    assert.ok(items.every((i) => i.status === "succeeded"));
    assert.ok((summary.batch.repairs?.items ?? 0) > 0, "the check ran what the terminated range left");
  });
});
