import { GroupCommit } from "./groupCommit.js";

/**
 * What the local host waits for before it makes anything durable or acknowledges it: storage
 * (Azurite) saved to disk, then the state that depends on it (durable instances) written.
 */
export interface StorageBarrier {
  /**
   * Resolves once every storage change answered before the call, and everything a follower
   * captured before it, is on disk. Rejects when that cannot be confirmed (storage down).
   */
  flush(): Promise<void>;
}

/** State kept on disk only after the storage it depends on (e.g. durable instances). */
export interface BarrierFollower {
  /** Called as a round starts: takes what is pending, returns how to write it once storage is saved. */
  capture(): (() => void) | undefined;
}

export interface GroupedStorageBarrierOptions {
  /** Saves storage: everything answered before the call is on disk when it resolves. */
  saveStorage(): Promise<void>;
  /** A round failed: what its followers captured is dropped (storage may have lost what it depends on). */
  onRoundFailed?(error: unknown): void;
}

/**
 * One round at a time (group commit): every caller during a round shares the next one, so a burst
 * of commits and answers costs one storage save, not one each.
 */
export class GroupedStorageBarrier implements StorageBarrier {
  private readonly followers = new Set<BarrierFollower>();
  private readonly rounds = new GroupCommit(() => this.round());

  constructor(private readonly options: GroupedStorageBarrierOptions) {}

  follow(follower: BarrierFollower): void {
    this.followers.add(follower);
  }

  flush(): Promise<void> {
    return this.rounds.run();
  }

  private async round(): Promise<void> {
    const writes = [...this.followers].map((follower) => follower.capture());
    try {
      await this.options.saveStorage();
    } catch (error) {
      this.options.onRoundFailed?.(error);
      throw error;
    }
    for (const write of writes) write?.();
  }
}
