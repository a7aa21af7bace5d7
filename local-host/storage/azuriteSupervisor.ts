import { StorageNotSavedError, type RunningAzurite } from "../azurite.js";

export interface AzuriteSupervisorOptions {
  /** Starts Azurite, on the same ports and folder each time. */
  start(): Promise<RunningAzurite>;
  /** Whether a restart can bring the data back (on disk); in memory, a death loses it all. */
  restartable: boolean;
  log(message: string): void;
  /** Deaths tolerated within `windowMs` before giving up; default 3 in 60 s. */
  maxRestarts?: number;
  windowMs?: number;
  /** How long a restart waits for work that ran against the lost Azurite to end; default 60 s. */
  quiesceTimeoutMs?: number;
}

export interface AzuriteWatcher {
  /** Azurite died: storage is back at its last save, so state held beyond it must go (synchronous). */
  lost(): void;
  /**
   * Resolves once work that ran against the lost Azurite has ended, so none of it writes to the
   * new one (an activity whose result blob was lost must not then record its item as succeeded).
   */
  quiesce(): Promise<void>;
  /** Azurite is up again after lost(). */
  back(): void;
  /** It cannot be restarted: stop everything. */
  gaveUp(message: string): void;
}

/**
 * Keeps `npm run local`'s Azurite running: when it dies under the app (a kill, a crash), it is
 * started again on the same ports and folder and reloads its last save, which holds everything
 * the app acknowledged (storageBarrier.ts); after repeated deaths it gives up.
 */
export class AzuriteSupervisor {
  private running: RunningAzurite | undefined;
  private watcher: AzuriteWatcher | undefined;
  private stopped = false;
  private deaths: number[] = [];

  private constructor(private readonly options: AzuriteSupervisorOptions) {}

  static async start(options: AzuriteSupervisorOptions): Promise<AzuriteSupervisor> {
    const supervisor = new AzuriteSupervisor(options);
    supervisor.adopt(await options.start());
    return supervisor;
  }

  /** The Azurite running now (its endpoints never change). */
  get current(): RunningAzurite {
    return this.running!;
  }

  watch(watcher: AzuriteWatcher): void {
    this.watcher = watcher;
  }

  /** Saves Azurite's stores; rejects while it is down or restarting. */
  flush(): Promise<void> {
    const running = this.running;
    if (!running?.flush) return Promise.reject(new StorageNotSavedError("Azurite is not running (it is restarting)"));
    return running.flush();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.stop();
  }

  private adopt(azurite: RunningAzurite): void {
    this.running = azurite;
    void azurite.exited?.then((exit) => {
      if (this.stopped || this.running !== azurite) return;
      this.running = undefined;
      void this.recover(`Azurite exited unexpectedly (${exit.signal ?? `code ${exit.code}`})`);
    });
  }

  private async recover(why: string): Promise<void> {
    this.watcher?.lost();
    if (this.watcher) await this.quiesce(this.watcher);
    if (!this.options.restartable) {
      return this.giveUp(`${why}. It kept its data in memory, so that data is gone: stopping. Start \`npm run local\` again (with --data DIR to keep data across restarts).`);
    }
    const windowMs = this.options.windowMs ?? 60_000;
    const maxRestarts = this.options.maxRestarts ?? 3;
    for (let failure = why; ; ) {
      const now = Date.now();
      this.deaths = [...this.deaths.filter((at) => now - at < windowMs), now];
      if (this.deaths.length > maxRestarts) {
        return this.giveUp(`${failure}, the ${this.deaths.length}th failure within ${windowMs / 1000} s: stopping everything. See azurite.log in the data folder.`);
      }
      this.options.log(`${failure}: restarting it on the same ports and folder; it reloads its last save, which holds everything acknowledged. Requests that change something answer 503 meanwhile.`);
      try {
        const azurite = await this.options.start();
        if (this.stopped) return void (await azurite.stop());
        this.adopt(azurite);
        this.options.log("Azurite is running again; unfinished orchestrations resume from their last saved state.");
        this.watcher?.back();
        return;
      } catch (error) {
        failure = `Azurite could not be started again (${(error as Error)?.message ?? error})`;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async quiesce(watcher: AzuriteWatcher): Promise<void> {
    const waitMs = this.options.quiesceTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), waitMs)));
    const late = await Promise.race([watcher.quiesce().then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.options.log(`Work that ran against the lost Azurite was still running after ${waitMs / 1000} s; restarting Azurite anyway (its later writes may need the batch repaired).`);
  }

  private giveUp(message: string): void {
    this.stopped = true;
    if (this.watcher) this.watcher.gaveUp(message);
    else this.options.log(message);
  }
}
