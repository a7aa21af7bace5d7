import { AnalyzerError } from "../analyzer.js";

export interface PoolSlot {
  busy: boolean;
}

/**
 * A fixed set of worker slots handed out one caller at a time, in arrival order. A waiting caller
 * gives up when its signal aborts (its document's time limit) and gets `Timeout`.
 */
export class SlotQueue<S extends PoolSlot> {
  /** Callers waiting for a slot; handed undefined when the queue closes. */
  private readonly waiting: ((slot: S | undefined) => void)[] = [];
  private closed = false;

  constructor(
    readonly slots: readonly S[],
    private readonly closedError: () => Error,
  ) {}

  acquire(signal?: AbortSignal): Promise<S> {
    if (this.closed) return Promise.reject(this.closedError());
    const free = this.slots.find((slot) => !slot.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise<S>((resolve, reject) => {
      const take = (slot: S | undefined) => {
        signal?.removeEventListener("abort", onAbort);
        if (slot) resolve(slot);
        else reject(this.closedError());
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(take), 1);
        reject(documentTimeout(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(take);
    });
  }

  /** Hands the slot to the next waiting caller (it stays busy), or frees it. */
  release(slot: S): void {
    const next = this.closed ? undefined : this.waiting.shift();
    if (next) next(slot);
    else slot.busy = false;
  }

  /** Refuses every waiting and later caller. */
  close(): void {
    this.closed = true;
    for (const take of this.waiting.splice(0)) take(undefined);
  }
}

export function documentTimeout(signal?: AbortSignal): AnalyzerError {
  return new AnalyzerError("Timeout", "The document took longer than its time limit to analyze.", { cause: signal?.reason });
}
