import { readSettings, type DocbatchSettings } from "../config/settings.js";
import { getAnalyzerRegistry, type AnalyzerRegistry } from "../analyzers/registry.js";
import { clock } from "../shared/clock.js";
import { createAppStorage, type AppStorage } from "../storage/appStorage.js";
import { storageUrlPolicy, type StorageUrlPolicy } from "../storage/containerUrl.js";
import { createSecretBox } from "../storage/secretBox.js";
import { StatusTable } from "../storage/statusTable.js";
import { RecentBatches } from "./recentBatches.js";
import { RecentDocuments } from "./recentDocuments.js";

/** What batch processing needs from its surroundings, built once per process from the app settings. */
export interface BatchServices {
  settings: DocbatchSettings;
  storage: AppStorage;
  statusTable: StatusTable;
  urlPolicy: StorageUrlPolicy;
  /** Seals SAS-bearing URLs at rest; undefined when no encryption key is configured. */
  secrets?: ReturnType<typeof createSecretBox>;
  analyzers: AnalyzerRegistry;
  /** Batch rows as document activities read them, briefly cached. */
  recentBatches: RecentBatches;
  /** Document rows read a page at a time for document activities. */
  recentDocuments: RecentDocuments;
  now(): Date;
}

let services: BatchServices | undefined;

export function getBatchServices(): BatchServices {
  services ??= createBatchServices();
  return services;
}

export function createBatchServices(env: NodeJS.ProcessEnv = process.env): BatchServices {
  const settings = readSettings(env);
  const storage = createAppStorage(env);
  const now = () => clock.now();
  const statusTable = new StatusTable(storage, { tablePrefix: settings.tablePrefix, now });
  return {
    settings,
    storage,
    statusTable,
    recentBatches: new RecentBatches(statusTable),
    recentDocuments: new RecentDocuments(statusTable),
    urlPolicy: storageUrlPolicy(settings, storage.accountName),
    secrets: settings.encryptionKey ? createSecretBox(settings.encryptionKey) : undefined,
    analyzers: getAnalyzerRegistry(),
    now,
  };
}
