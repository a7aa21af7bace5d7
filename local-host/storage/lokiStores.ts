// Saves Azurite's LokiJS databases on request, all from one instant. Azurite keeps its tables and
// its blob and queue metadata in LokiJS databases in memory and saves each on its own 5 s timer;
// here the timers are off and every save takes one consistent cut: all dirty databases are
// serialized in the same synchronous step, then written, extent indexes before the metadata that
// points into them (a kill between the two leaves unreferenced extents, which Azurite's GC
// removes, never metadata pointing at an extent that is not on disk).

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
  /** Extent indexes are written before the metadata databases. */
  role: "extents" | "metadata";
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

export class LokiStores {
  constructor(private readonly databases: readonly NamedDatabase[]) {
    // Saves happen here only, never on Loki's timers (which would save each database at another instant)
    // nor in Loki's close() (which would race a save of ours for the same temporary file).
    for (const { db } of databases) {
      db.autosaveDisable();
      db.autosave = false;
    }
  }

  /** Writes every database changed since its last save; all of them as they were at the call. */
  async saveAll(): Promise<void> {
    const snapshots = this.databases
      .filter(({ db }) => db.autosaveDirty())
      .map((entry) => {
        const text = entry.db.serialize();
        entry.db.autosaveClearFlags();
        return { ...entry, text };
      });
    try {
      for (const role of ["extents", "metadata"] as const) {
        await Promise.all(snapshots.filter((snapshot) => snapshot.role === role).map(({ db, text }) => write(db, text)));
      }
    } catch (error) {
      // Not on disk: saved again next time.
      for (const { db } of snapshots) for (const collection of db.collections) collection.dirty = true;
      throw error;
    }
  }
}

/** LokiFsAdapter writes a temporary file and renames it over the old one: a kill leaves the old or the new. */
function write(db: LokiDatabase, text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    db.persistenceAdapter!.saveDatabase(db.filename, text, (error) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve())),
  );
}
