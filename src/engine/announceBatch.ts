import { createHash } from "node:crypto";
import type { BatchEventContent } from "./batchKind.js";
import type { EngineDeps } from "./engineDeps.js";
import type { BatchRef } from "./refs.js";
import { isFinalBatchStatus } from "./statusRules.js";

/**
 * An event announcing a batch's final status, in the envelope every door's events share
 * (OpenAI's: `{ id, object: "event", type, created_at, data }`). Its id and time follow from the
 * batch alone, so every delivery attempt of it, in any process, sends the same bytes.
 */
export interface BatchEvent extends BatchEventContent {
  id: string;
  object: "event";
  /** Unix seconds: when the batch reached its final status. */
  created_at: number;
}

/**
 * Where announcements go (the operator's webhook). `deliver` throws when the receiver did not
 * take the event (non-2xx, timeout, unreachable): the orchestration retries it with backoff.
 */
export interface BatchEventSink {
  deliver(event: BatchEvent, ref: BatchRef): Promise<void>;
  /** Every retry failed: kept for the operator to see, never fails the batch. */
  gaveUp(event: BatchEvent, ref: BatchRef, reason: string): Promise<void>;
}

/** What announceBatch did; `event` lets the orchestration record a give-up with the same event. */
export type Announcement = { sent: false } | { sent: true; event: BatchEvent };

/** The event of a batch in a final status, or undefined (not final, deleted, or its kind announces nothing). */
export async function batchEventOf(ref: BatchRef, deps: Pick<EngineDeps, "store" | "kinds">): Promise<BatchEvent | undefined> {
  const batch = await deps.store.getBatch(ref.kind, ref.batchId);
  if (!batch || batch.deleted || !isFinalBatchStatus(batch.status)) return undefined;
  const content = deps.kinds.get(ref.kind)?.finalEvent?.(batch);
  if (!content) return undefined;
  const id = `evt_${createHash("sha256").update(`${ref.kind}/${ref.batchId}/${batch.status}`).digest("hex").slice(0, 32)}`;
  const completedMs = Date.parse(batch.completedAt ?? batch.updatedAt);
  return { id, object: "event", type: content.type, created_at: Math.floor(completedMs / 1000), data: content.data };
}

/** The activity run once a batch is final: sends its event when an event sink is configured. */
export async function announceBatch(ref: BatchRef, deps: EngineDeps): Promise<Announcement> {
  if (!deps.events) return { sent: false };
  const event = await batchEventOf(ref, deps);
  if (!event) return { sent: false };
  await deps.events.deliver(event, ref);
  return { sent: true, event };
}

/** The activity run when every delivery attempt failed. */
export async function recordAnnouncementGivenUp(input: BatchRef & { reason: string }, deps: EngineDeps): Promise<void> {
  const event = deps.events && (await batchEventOf(input, deps));
  if (event) await deps.events!.gaveUp(event, { kind: input.kind, batchId: input.batchId }, input.reason);
}
