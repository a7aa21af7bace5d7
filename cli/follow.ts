// Polling a batch until it ends, at the pace the front door asks for, until Ctrl-C.
import { setTimeout as sleep } from "node:timers/promises";
import type { BatchView } from "./batchView.js";
import { UsageError } from "./exitCodes.js";
import type { ProgressDisplay } from "./progress.js";

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

/**
 * A command's follow phase: a progress bar while the batch runs, until it ends or Ctrl-C. On
 * Ctrl-C the batch is canceled (`cancelOnExit`) or left running, and the user is told which.
 * `poll` answers undefined when the batch is gone.
 */
export async function followWithProgress<S extends PolledState>(options: {
  id: string;
  phase: string;
  /** The item count the CLI knows (it uploaded them), while the front door does not say. */
  total?: number;
  progress: ProgressDisplay;
  poll: () => Promise<S | undefined>;
  cancelOnExit?: boolean;
  cancel: () => Promise<void>;
}): Promise<S | "interrupted"> {
  const { id, progress } = options;
  const interrupt = interruptSignal();
  let final: S | "interrupted";
  try {
    progress.begin(options.phase, { total: options.total, succeeded: 0, failed: 0, skipped: 0 });
    final = await followBatch({
      poll: async () => {
        const state = await options.poll();
        if (!state) throw new UsageError(`Batch ${id} is gone (deleted while we followed it).`);
        return state;
      },
      onState: (state) => progress.update({ ...state.view.counts, total: state.view.counts.total ?? options.total }),
      signal: interrupt.signal,
    });
  } finally {
    progress.end();
    interrupt.dispose();
  }
  if (final === "interrupted") {
    if (options.cancelOnExit) {
      await options.cancel();
      progress.note(`Canceled batch ${id}.`);
    } else {
      progress.note(`Stopped following batch ${id}; it keeps running. See it with: docbatch status ${id}`);
    }
  }
  return final;
}
