/**
 * Group commit: many callers ask for one piece of work (a save) to have run after they asked; one
 * run is in flight at a time, and every caller arriving while it runs shares the next one. So a
 * burst of N requests costs at most two runs, not N, and no caller is answered by a run that began
 * before it asked (that run may have missed its write).
 */
export class GroupCommit {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly work: () => Promise<void>) {}

  /** Resolves once a run that started after this call has finished; rejects with that run's error. */
  run(): Promise<void> {
    if (!this.running) return this.start();
    this.next ??= this.running.catch(() => {}).then(() => this.start());
    return this.next;
  }

  private start(): Promise<void> {
    this.next = undefined;
    const running = this.work();
    this.running = running;
    // Cleared only when no run is queued behind it: a queued run takes its place itself.
    const settled = () => {
      if (this.running === running && !this.next) this.running = undefined;
    };
    running.then(settled, settled);
    return running;
  }
}
