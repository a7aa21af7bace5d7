import type { BatchKind, ItemResult } from "../../src/engine/batchKind.js";
import { ItemError } from "../../src/engine/itemError.js";
import type { BatchRecord, BatchStatus, ItemRecord } from "../../src/engine/model.js";
import { DEFAULT_ENGINE_LIMITS, type EngineDeps } from "../../src/engine/engineDeps.js";
import { kindRegistry } from "../../src/engine/kindRegistry.js";
import { RecentBatches } from "../../src/engine/recentBatches.js";
import { RecentItems } from "../../src/engine/recentItems.js";
import type { StatusStore } from "../../src/engine/statusStore.js";

/** What a fake batch does, as its spec: how many items, how each behaves, how finalize behaves. */
export interface FakeSpec {
  items: number;
  /** Each item takes this long (ms), unless it waits for a gate. */
  delayMs?: number;
  /** Items wait until `release(batchId)` is called. */
  gated?: boolean;
  /** Finalize throws (retryably) this many times before it succeeds. */
  finalizeFailures?: number;
  /** Items whose result is lost (as by storage) the first time it is written. */
  lostResults?: number[];
  /** Per item index: how its first attempts fail. */
  failures?: Record<number, { times: number; error: "retryable" | "fatal" | "unknown"; retryAfterMs?: number }>;
}

/** What the fake kind saw, per batch: the batch's stored status in each phase, concurrency, calls. */
export interface FakeObservations {
  phases: BatchStatus[];
  inFlight: number;
  maxInFlight: number;
  processed: number[];
  attempts: Map<number, number>;
  finalizeCalls: number;
  purged: boolean;
  /** Items whose result the fake kind keeps (written when one succeeds); its result check looks here. */
  results: Set<number>;
}

/**
 * A batch kind made for engine tests: items are numbers, processing one waits a moment and
 * succeeds (or fails as the spec says), finalize can fail a few times. It records what the engine
 * did to it, so tests assert phases, concurrency and retries on real engine code.
 */
export function createFakeKind(store: () => StatusStore, options: { name?: string; itemsPerActivity?: number; recordsRunning?: boolean } = {}) {
  const observed = new Map<string, FakeObservations>();
  const gates = new Map<string, { promise: Promise<void>; open(): void }>();
  const observe = (batchId: string): FakeObservations => {
    let entry = observed.get(batchId);
    if (!entry) {
      entry = { phases: [], inFlight: 0, maxInFlight: 0, processed: [], attempts: new Map(), finalizeCalls: 0, purged: false, results: new Set() };
      observed.set(batchId, entry);
    }
    return entry;
  };
  const gate = (batchId: string) => {
    let entry = gates.get(batchId);
    if (!entry) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      entry = { promise, open };
      gates.set(batchId, entry);
    }
    return entry;
  };
  const specOf = (batch: BatchRecord) => JSON.parse(batch.spec) as FakeSpec;
  const phaseOf = async (batch: BatchRecord) => (await store().getBatch(batch.kind, batch.batchId))!.status;

  const kind: BatchKind = {
    name: options.name ?? "fake",
    itemsPerActivity: options.itemsPerActivity,
    recordsRunning: options.recordsRunning,
    async *listItems(batch) {
      observe(batch.batchId).phases.push(await phaseOf(batch));
      const { items } = specOf(batch);
      for (let first = 0; first < items; first += 7) {
        yield Array.from({ length: Math.min(7, items - first) }, (_, offset) => ({ name: `item-${first + offset}`, data: JSON.stringify({ n: first + offset }) }));
      }
    },
    async processItem(batch, item: ItemRecord, { signal }): Promise<ItemResult> {
      const seen = observe(batch.batchId);
      const spec = specOf(batch);
      seen.phases.push(await phaseOf(batch));
      const attempt = (seen.attempts.get(item.index) ?? 0) + 1;
      seen.attempts.set(item.index, attempt);
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      try {
        if (spec.gated) await Promise.race([gate(batch.batchId).promise, aborted(signal)]);
        else if (spec.delayMs) await Promise.race([new Promise((resolve) => setTimeout(resolve, spec.delayMs)), aborted(signal)]);
        const failure = spec.failures?.[item.index];
        if (failure && attempt <= failure.times) {
          if (failure.error === "unknown") throw new Error(`surprise on item ${item.index}?sig=secret`);
          throw new ItemError(failure.error === "fatal" ? "BadItem" : "Busy", `item ${item.index} failed`, {
            retryable: failure.error === "retryable",
            retryAfterMs: failure.retryAfterMs,
            details: { index: item.index },
          });
        }
        seen.processed.push(item.index);
        if (spec.lostResults?.includes(item.index) && attempt === 1) seen.results.delete(item.index);
        else seen.results.add(item.index);
        return { status: "succeeded", metrics: { units: (JSON.parse(item.data ?? "{}") as { n: number }).n + 1 } };
      } finally {
        seen.inFlight--;
      }
    },
    async findMissingResults(batch, succeeded) {
      const { results } = observe(batch.batchId);
      const missing: number[] = [];
      for await (const page of succeeded) for (const item of page) if (!results.has(item.index)) missing.push(item.index);
      return missing;
    },
    async finalize(batch) {
      const seen = observe(batch.batchId);
      seen.phases.push(await phaseOf(batch));
      seen.finalizeCalls++;
      if (seen.finalizeCalls <= (specOf(batch).finalizeFailures ?? 0)) throw new Error("output store not answering");
    },
    async purge(batch) {
      observe(batch.batchId).purged = true;
    },
  };
  return {
    kind,
    observed: (batchId: string) => observe(batchId),
    release: (batchId: string) => gate(batchId).open(),
  };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** EngineDeps on an in-memory store for tests: batch rows never cached (a cancel is seen by the next item), short retry waits. */
export function inMemoryEngineDeps(store: StatusStore, kinds: readonly BatchKind[], options: { shutdown?: AbortSignal; itemsPerLeaf?: number } = {}): EngineDeps {
  return {
    store,
    kinds: kindRegistry(kinds),
    recentBatches: new RecentBatches(store, { maxAgeMs: 0, maxEntries: 16 }),
    recentItems: new RecentItems(store),
    now: () => new Date(),
    shutdown: options.shutdown ?? new AbortController().signal,
    limits: { ...DEFAULT_ENGINE_LIMITS, itemTimeoutMs: 5_000, maxRetryDelayMs: 20, itemsPerLeaf: options.itemsPerLeaf ?? 10 },
  };
}
