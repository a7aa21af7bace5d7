import type { BatchEvent, BatchEventSink } from "../engine/announceBatch.js";
import type { BatchRef } from "../engine/refs.js";
import type { WebhookDeliveries } from "../storage/webhookDeliveries.js";
import { webhookHeaders } from "./standardWebhooks.js";

/** The receiver did not take an event; the orchestration's retry policy sends it again. */
export class WebhookDeliveryError extends Error {
  override readonly name = "WebhookDeliveryError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface WebhookSinkOptions {
  url: string;
  /** `whsec_…`; used to sign, never logged or put in an error. */
  secret: string;
  deliveries: WebhookDeliveries;
  now(): Date;
  /** Wall-clock milliseconds for the signature's timestamp (receivers compare it with their own clock); default Date.now. */
  timestampMs?: () => number;
  /** Time limit of one attempt (default 15 s). */
  attemptTimeoutMs?: number;
}

const DEFAULT_ATTEMPT_TIMEOUT_MS = 15_000;

/**
 * Sends batch events to the operator's webhook: one POST per attempt, the same `webhook-id` and
 * body every time, signed with the attempt's timestamp; any 2xx is taken. Each attempt and its
 * outcome is recorded in the deliveries table (what the operator reads when a receiver was down).
 */
export function webhookSink(options: WebhookSinkOptions): BatchEventSink {
  return {
    async deliver(event: BatchEvent, ref: BatchRef) {
      const body = JSON.stringify(event);
      const timestamp = Math.floor((options.timestampMs ?? Date.now)() / 1000);
      let failure: WebhookDeliveryError | undefined;
      try {
        const response = await fetch(options.url, {
          method: "POST",
          headers: { "content-type": "application/json", "user-agent": "docbatch-webhooks", ...webhookHeaders(options.secret, event.id, timestamp, body) },
          body,
          redirect: "manual",
          signal: AbortSignal.timeout(options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS),
        });
        await response.body?.cancel().catch(() => undefined);
        if (response.status < 200 || response.status > 299) failure = new WebhookDeliveryError(`The webhook receiver answered ${response.status}.`, response.status);
      } catch (error) {
        const timedOut = error instanceof DOMException && error.name === "TimeoutError";
        failure = new WebhookDeliveryError(timedOut ? "The webhook receiver did not answer in time." : `The webhook receiver could not be reached (${(error as Error).message}).`);
      }
      await options.deliveries.recordAttempt(event, ref, failure ? { state: "retrying", error: failure.message } : { state: "delivered" });
      if (failure) throw failure;
    },
    async gaveUp(event: BatchEvent, ref: BatchRef, reason: string) {
      await options.deliveries.recordAttempt(event, ref, { state: "failed", error: reason }, { countsAsAttempt: false });
    },
  };
}
