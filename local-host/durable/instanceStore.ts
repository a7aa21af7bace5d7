import fs from "node:fs";
import path from "node:path";
import type { BarrierFollower, GroupedStorageBarrier } from "../storage/storageBarrier.js";

/**
 * Where the durable engine keeps its instances when a run must survive a restart: one JSON file
 * per instance, replaced atomically (write to a temporary file, then rename) after every
 * committed change, so a crash leaves either the old or the new state of an instance, never half.
 */
export interface InstanceStore {
  save(instanceId: string, state: object): void;
  remove(instanceId: string): void;
  loadAll(): object[];
}

export class FileInstanceStore implements InstanceStore {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  save(instanceId: string, state: object): void {
    this.writeText(instanceId, JSON.stringify(state));
  }

  /** Writes an instance's state already turned into JSON text. */
  writeText(instanceId: string, text: string): void {
    const file = this.fileOf(instanceId);
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
  }

  remove(instanceId: string): void {
    fs.rmSync(this.fileOf(instanceId), { force: true });
  }

  loadAll(): object[] {
    const states: object[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (name.endsWith(".tmp")) {
        fs.rmSync(path.join(this.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith(".json")) continue;
      states.push(JSON.parse(fs.readFileSync(path.join(this.dir, name), "utf8")) as object);
    }
    return states;
  }

  /** Instance ids may hold any character (sub-orchestration ids carry ':'), so the name encodes them. */
  private fileOf(instanceId: string): string {
    return path.join(this.dir, `${Buffer.from(instanceId).toString("base64url")}.json`);
  }
}

/**
 * The file store behind a storage barrier: a change is written only after the storage writes that
 * came before it are on disk, so an instance's file never claims an activity ran whose writes a
 * kill then rolled back (the activity would never run again). Changes wait in memory, latest per
 * instance, and are written by the barrier's next round; the caller goes on at once.
 */
export class StorageOrderedInstanceStore implements InstanceStore, BarrierFollower {
  /** Per instance: its latest JSON text, or null for a removal. */
  private pending = new Map<string, string | null>();

  constructor(
    private readonly files: FileInstanceStore,
    private readonly barrier: GroupedStorageBarrier,
  ) {
    barrier.follow(this);
  }

  save(instanceId: string, state: object): void {
    // Turned into text now: the state's arrays change as the instance goes on.
    this.pending.set(instanceId, JSON.stringify(state));
    this.requestRound();
  }

  remove(instanceId: string): void {
    this.pending.set(instanceId, null);
    this.requestRound();
  }

  loadAll(): object[] {
    return this.files.loadAll();
  }

  capture(): (() => void) | undefined {
    if (this.pending.size === 0) return undefined;
    const changes = this.pending;
    this.pending = new Map();
    return () => {
      for (const [instanceId, text] of changes) {
        if (text === null) this.files.remove(instanceId);
        else this.files.writeText(instanceId, text);
      }
    };
  }

  /** Storage rolled back (Azurite restarted): what waits here may depend on lost writes, so it never reaches disk. */
  discardPending(): void {
    this.pending.clear();
  }

  private requestRound(): void {
    // A failed round is reported by the barrier's owner; the change is dropped with it.
    this.barrier.flush().catch(() => {});
  }
}
