import type { EngineError } from "./model.js";

/**
 * The one error type an item processor (or a kind's prepare / finalize) throws on purpose.
 * `retryable` failures are tried again by the engine with backoff (after `retryAfterMs` when
 * the remote said so); others settle the item as `failed` at once with this code and message.
 * Anything else a processor throws counts as retryable a few times, then fails the item with
 * code `InternalError` and a scrubbed message. Modeled on BullMQ's UnrecoverableError, inverted:
 * here the explicit flag says which way.
 */
export class ItemError extends Error {
  override readonly name = "ItemError";
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options: { retryable?: boolean; retryAfterMs?: number; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }

  toEngineError(): EngineError {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}
