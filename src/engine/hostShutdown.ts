import { setMaxListeners } from "node:events";

/**
 * The host is shutting this instance down (SIGTERM on scale-in, the appTerminate hook). Work in
 * flight then stops, and must not be recorded as the item's failure: the item activity throws
 * HostShutdownError instead, so Durable delivers the item again on another instance.
 */
const controller = new AbortController();
// Every item in flight listens to it.
setMaxListeners(0, controller.signal);
const active = new Set<Promise<unknown>>();

export const hostShutdown = {
  signal: controller.signal,
  /** Called by the appTerminate hook (src/functions/lifecycle.ts) before analyzers close. */
  begin(): void {
    if (!controller.signal.aborted) controller.abort(new HostShutdownError());
  },
  /** Item work of this process, so shutdown can wait until it has let go of analyzers and storage. */
  track<T>(work: Promise<T>): Promise<T> {
    active.add(work);
    const done = () => active.delete(work);
    work.then(done, done);
    return work;
  },
  /** Resolves when all tracked work has ended, or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...active]), timeout]);
    clearTimeout(timer);
  },
};

export class HostShutdownError extends Error {
  override readonly name = "HostShutdownError";
  constructor() {
    super("The host is shutting down; the work will be delivered again on another instance.");
  }
}
