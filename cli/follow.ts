// Polling a batch until it ends, at the pace the front door asks for, until Ctrl-C.
import { setTimeout as sleep } from "node:timers/promises";
import type { BatchView } from "./batchView.js";

export interface PolledState {
  view: BatchView;
  retryAfterMs?: number;
}

const DEFAULT_POLL_MS = 2_000;
const MAX_POLL_MS = 30_000;

/** The final state, or "interrupted" when the signal fired first. */
export async function followBatch<S extends PolledState>(options: {
  poll: () => Promise<S>;
  onState: (state: S) => void;
  signal: AbortSignal;
}): Promise<S | "interrupted"> {
  while (!options.signal.aborted) {
    const state = await options.poll();
    options.onState(state);
    if (state.view.outcome !== "running") return state;
    const waitMs = Math.min(MAX_POLL_MS, state.retryAfterMs ?? DEFAULT_POLL_MS);
    try {
      await sleep(waitMs, undefined, { signal: options.signal });
    } catch {
      break;
    }
  }
  return "interrupted";
}

/**
 * An AbortSignal fired by the first Ctrl-C (or SIGTERM); a second Ctrl-C ends the process at once.
 * While it is installed, Ctrl-C no longer kills the process by itself.
 */
export function interruptSignal(onSecond: () => void = () => process.exit(130)): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) onSecond();
    else controller.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
