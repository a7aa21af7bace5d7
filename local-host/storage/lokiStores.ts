// Saves Azurite's LokiJS databases on request, all from one instant and all or none. Azurite
// keeps its tables and its blob and queue metadata in LokiJS databases in memory and saves each on
// its own 5 s timer; here the timers are off and every save is one commit: all dirty databases are
// serialized in the same synchronous step, written next to their files, then switched in together
// under a commit record (a small redo log), so a kill never leaves one database newer than another
// (a table row saying an item succeeded while the blob metadata of its result is from before).
// A commit interrupted by a kill is completed when Azurite starts again (completeInterruptedCommit).
import fs from "node:fs";
import path from "node:path";

/** The part of a LokiJS database (lokijs 1.5, as Azurite 3.35 ships it) this module uses. */
export interface LokiDatabase {
  filename: string;
  autosave: boolean;
  collections: { dirty: boolean }[];
  persistenceAdapter: { saveDatabase(name: string, text: string, done: (error?: unknown) => void): void } | null;
  autosaveDisable(): void;
  autosaveDirty(): boolean;
  autosaveClearFlags(): void;
  serialize(): string;
}

export interface NamedDatabase {
  name: string;
  db: LokiDatabase;
}

export class UnexpectedAzuriteInternalsError extends Error {}

/** Checks a store's `db` is the LokiJS database with a file adapter this module expects. */
export function lokiDatabaseOf(name: string, store: unknown): LokiDatabase {
  const db = (store as { db?: Partial<LokiDatabase> } | undefined)?.db;
  const methods = ["autosaveDisable", "autosaveDirty", "autosaveClearFlags", "serialize"] as const;
  const adapter = db?.persistenceAdapter as { constructor?: { name?: string }; saveDatabase?: unknown } | null | undefined;
  if (!db || methods.some((method) => typeof db[method] !== "function") || !Array.isArray(db.collections) || typeof db.filename !== "string") {
    throw new UnexpectedAzuriteInternalsError(`${name}: no LokiJS database at .db`);
  }
  if (!adapter || typeof adapter.saveDatabase !== "function" || adapter.constructor?.name !== "LokiFsAdapter") {
    throw new UnexpectedAzuriteInternalsError(`${name}: its LokiJS database does not save through LokiFsAdapter (found ${adapter?.constructor?.name ?? "none"})`);
  }
  return db as LokiDatabase;
}

/** The commit record: while it exists, every `next` file listed in it is the database's new content. */
const COMMIT_RECORD = "azurite-commit.json";

interface CommitRecord {
  files: { next: string; file: string }[];
}

export class LokiStores {
  private readonly record: string;

  constructor(
    private readonly databases: readonly NamedDatabase[],
    /** The folder the databases live in (the commit record goes there). */
    location: string,
  ) {
    this.record = path.join(location, COMMIT_RECORD);
    // Saves happen here only, never on Loki's timers (which would save each database at another
    // instant) nor in Loki's close() (which would race a save of ours for the same file).
    for (const { db } of databases) {
      db.autosaveDisable();
      db.autosave = false;
    }
  }

  /** Writes every database changed since its last save; all of them as they were at the call, together. */
  async saveAll(): Promise<void> {
    const snapshots = this.databases
      .filter(({ db }) => db.autosaveDirty())
      .map(({ db }) => {
        const text = db.serialize();
        db.autosaveClearFlags();
        return { db, text, next: `${db.filename}.next` };
      });
    if (snapshots.length === 0) return;
    // A commit whose switch failed half-way is finished first, or this one's record would replace it.
    if (fs.existsSync(this.record)) switchInSync(this.record);
    try {
      await Promise.all(snapshots.map(({ next, text }) => fs.promises.writeFile(next, text)));
      // The commit point: once the record is in place the new contents count, whatever happens next.
      const record: CommitRecord = { files: snapshots.map(({ next, db }) => ({ next, file: db.filename })) };
      await fs.promises.writeFile(`${this.record}.tmp`, JSON.stringify(record));
      await fs.promises.rename(`${this.record}.tmp`, this.record);
    } catch (error) {
      // Not committed: saved again next time.
      for (const { db } of snapshots) for (const collection of db.collections) collection.dirty = true;
      throw error;
    }
    await switchIn(this.record);
  }
}

/**
 * Before Azurite loads its databases: finishes a commit a kill interrupted (its record exists), or
 * drops the files of one that never reached its commit point.
 */
export function completeInterruptedCommit(location: string): void {
  const record = path.join(location, COMMIT_RECORD);
  if (fs.existsSync(record)) switchInSync(record);
  fs.rmSync(`${record}.tmp`, { force: true });
  for (const name of fs.readdirSync(location)) if (name.endsWith(".json.next")) fs.rmSync(path.join(location, name), { force: true });
}

async function switchIn(record: string): Promise<void> {
  const { files } = JSON.parse(await fs.promises.readFile(record, "utf8")) as CommitRecord;
  for (const { next, file } of files) await fs.promises.rename(next, file);
  await fs.promises.rm(record);
}

function switchInSync(record: string): void {
  const { files } = JSON.parse(fs.readFileSync(record, "utf8")) as CommitRecord;
  // A kill during an earlier switch may have moved some already: those have no `next` left.
  for (const { next, file } of files) if (fs.existsSync(next)) fs.renameSync(next, file);
  fs.rmSync(record);
}
