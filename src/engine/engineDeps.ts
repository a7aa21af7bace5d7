import type { BatchEventSink } from "./announceBatch.js";
import type { KindRegistry } from "./kindRegistry.js";
import type { RecentBatches } from "./recentBatches.js";
import type { RecentItems } from "./recentItems.js";
import type { StatusStore } from "./statusStore.js";

/** What the engine's activities and use cases need from their surroundings (built in src/services/appServices.ts). */
export interface EngineDeps {
  store: StatusStore;
  kinds: KindRegistry;
  /** Batch rows as item activities read them, briefly cached. */
  recentBatches: RecentBatches;
  /** Item rows read a page at a time for item activities. */
  recentItems: RecentItems;
  now(): Date;
  /** Aborted when the host shuts down: work in flight is given back, not failed. */
  shutdown: AbortSignal;
  limits: EngineLimits;
  /** Where batches' final-status events go (the operator's webhook); undefined: none are sent. */
  events?: BatchEventSink;
}

export interface EngineLimits {
  /** Items per leaf range of the tree (one leaf orchestration each). */
  itemsPerLeaf: number;
  /** Time limit of one item when its kind sets none. */
  itemTimeoutMs: number;
  /** Attempts of one item before a retryable failure settles it (first try included). */
  itemAttempts: number;
  /** Longest wait between two attempts of an item, whatever the remote asked for. */
  maxRetryDelayMs: number;
}

export const DEFAULT_ENGINE_LIMITS: EngineLimits = {
  itemsPerLeaf: 100,
  itemTimeoutMs: 15 * 60_000,
  itemAttempts: 4,
  maxRetryDelayMs: 60_000,
};
