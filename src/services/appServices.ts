import { createHash } from "node:crypto";
import { DefaultAzureCredential } from "@azure/identity";
import { getAnalyzerRegistry, type AnalyzerRegistry } from "../analyzers/registry.js";
import { REQUEST_PATH_ACCESS_WAIT } from "../shared/accessPending.js";
import { keyVaultSecretReader, resolveKeyVaultReferences, SettingsPendingError, unresolvedKeyVaultReferences } from "../config/keyVaultReferences.js";
import { readSettings, type DocbatchSettings } from "../config/settings.js";
import { Batches, type BatchRunner } from "../engine/batches.js";
import { DEFAULT_ENGINE_LIMITS, type EngineDeps } from "../engine/engineDeps.js";
import { hostShutdown } from "../engine/hostShutdown.js";
import type { KindRegistry } from "../engine/kindRegistry.js";
import { RecentBatches } from "../engine/recentBatches.js";
import { RecentItems } from "../engine/recentItems.js";
import { SettledItemBlocks } from "../engine/settledItemBlocks.js";
import { createKindRegistry } from "../kinds/registry.js";
import { clock } from "../shared/clock.js";
import { createAppStorage, type AppStorage } from "../storage/appStorage.js";
import { storageUrlPolicy, type StorageUrlPolicy } from "../storage/containerUrl.js";
import { createSecretBox, type SecretBox } from "../storage/secretBox.js";
import { TableStatusStore } from "../storage/tableStatusStore.js";
import { UploadBatchStore } from "../storage/uploadBatchStore.js";
import { OpenAiBatchWork } from "../storage/openAiBatchWork.js";
import { OpenAiFileStore } from "../storage/openAiFileStore.js";
import { OpenAiUploadStore } from "../storage/openAiUploadStore.js";
import { tableRateTimelines } from "../storage/tableRateTimeline.js";
import { WebhookDeliveries } from "../storage/webhookDeliveries.js";
import { webhookSink } from "../webhooks/webhookSink.js";
import { sharedLlmUpstream, type LlmUpstream } from "../llm/upstream.js";

/**
 * Everything the app's functions need, built once per process from the app settings: the
 * composition root. Engine, kinds and front doors each take the part they need.
 */
export interface AppServices {
  settings: DocbatchSettings;
  storage: AppStorage;
  /** The status store for calls a caller waits on (front doors): short tries, one retry (AppStorageOptions.requestPath). */
  store: TableStatusStore;
  /** The same tables for activities and timers, with the SDKs' patient retries; the engine's store. */
  workStore: TableStatusStore;
  /** Item rows for status polls: settled blocks served from memory (see SettledItemBlocks). */
  pollItems: SettledItemBlocks;
  urlPolicy: StorageUrlPolicy;
  /** Seals SAS-bearing URLs at rest; undefined when no encryption key is configured. */
  secrets?: SecretBox;
  analyzers: AnalyzerRegistry;
  kinds: KindRegistry;
  engine: EngineDeps;
  /** The upload-batch API's documents and results in docbatch's own blob storage. */
  uploads: UploadBatchStore;
  /** The OpenAI Files API's files (batch inputs and outputs) in docbatch's own blob storage. */
  openAiFiles: OpenAiFileStore;
  /** The OpenAI Uploads API's uploads in progress (their parts staged on the blob of the File they become). */
  openAiUploads: OpenAiUploadStore;
  /** What running OpenAI batches keep until finalize assembles their files. */
  openAiWork: OpenAiBatchWork;
  /** Webhook deliveries: one row per event sent (or given up). */
  webhookDeliveries: WebhookDeliveries;
  /** The LLM upstream client shared app-wide (one RPM/TPM budget). */
  llm(): LlmUpstream;
  now(): Date;
  /** The use cases, starting orchestrations through `runner`. */
  batches(runner: BatchRunner): Batches;
}

let services: AppServices | undefined;
/** Resolving Key Vault references the platform left unresolved (see keyVaultReferences.ts). */
let resolving: Promise<void> | undefined;

/**
 * The app's services. While app settings still hold unresolved Key Vault references (a first
 * start before the identity's role took effect), they are read from Key Vault in the background
 * and this throws SettingsPendingError (503, Retry-After); the reference text is never used.
 */
export function getAppServices(): AppServices {
  if (services) return services;
  const pending = unresolvedKeyVaultReferences(process.env);
  if (pending.length === 0) return (services = createAppServices());
  resolving ??= resolveKeyVaultReferences(process.env, keyVaultSecretReader(new DefaultAzureCredential({ managedIdentityClientId: process.env.AZURE_CLIENT_ID })))
    .then((resolved) => {
      // Where the platform would have put them: every reader of the settings (the analyzer
      // registry, the timers) sees the secrets, as after a platform-resolved start.
      for (const name of pending) process.env[name] = resolved[name];
      services = createAppServices();
    })
    .catch((error: unknown) => {
      // The next call starts over; the failure itself reaches callers as SettingsPendingError.
      console.error(`docbatch: reading ${pending.join(", ")} from Key Vault failed: ${error instanceof Error ? error.message : error}`);
      resolving = undefined;
    });
  throw new SettingsPendingError(pending);
}

export function createAppServices(env: NodeJS.ProcessEnv = process.env): AppServices {
  const settings = readSettings(env);
  const storage = createAppStorage(env);
  const now = () => clock.now();
  // A caller waits on the request path: a refusal there answers 503 with Retry-After after a
  // short wait; activities and timers wait out role propagation (the default, ~10 minutes).
  const store = new TableStatusStore(createAppStorage(env, { requestPath: true }), { tablePrefix: settings.tablePrefix, now, accessWait: REQUEST_PATH_ACCESS_WAIT });
  const workStore = new TableStatusStore(storage, { tablePrefix: settings.tablePrefix, now });
  const openAiFiles = new OpenAiFileStore(storage, { prefix: settings.tablePrefix });
  // Rate limits hold for the whole app: every instance spends one timeline per upstream, kept in a table.
  const timelines = tableRateTimelines(storage, { prefix: settings.tablePrefix });
  const webhookDeliveries = new WebhookDeliveries(storage, { prefix: settings.tablePrefix, now });
  // The kinds reach the finished services lazily, when an item runs.
  const kinds = createKindRegistry(() => built);
  const engine: EngineDeps = {
    store: workStore,
    kinds,
    recentBatches: new RecentBatches(workStore),
    recentItems: new RecentItems(workStore),
    now,
    shutdown: hostShutdown.signal,
    limits: { ...DEFAULT_ENGINE_LIMITS, itemsPerLeaf: settings.documentsPerSubOrchestration },
    ...(settings.webhook ? { events: webhookSink({ ...settings.webhook, deliveries: webhookDeliveries, now }) } : {}),
  };
  const built: AppServices = {
    settings,
    storage,
    store,
    workStore,
    pollItems: new SettledItemBlocks(store),
    urlPolicy: storageUrlPolicy(settings, storage.accountName, storage.blobEndpoint),
    secrets: settings.encryptionKey ? createSecretBox(settings.encryptionKey) : undefined,
    analyzers: getAnalyzerRegistry(
      settings.documentIntelligence ? { documentIntelligence: { timeline: timelines(`documentintelligence-${createHash("sha256").update(settings.documentIntelligence.endpoint).digest("hex").slice(0, 32)}`) } } : {},
    ),
    kinds,
    engine,
    uploads: new UploadBatchStore(storage, { prefix: settings.tablePrefix }),
    openAiFiles,
    openAiUploads: new OpenAiUploadStore(storage, openAiFiles, { prefix: settings.tablePrefix }),
    webhookDeliveries,
    openAiWork: new OpenAiBatchWork(storage, { prefix: settings.tablePrefix }),
    llm: () => sharedLlmUpstream(settings, { timelines, shutdown: hostShutdown.signal }),
    now,
    batches: (runner) => new Batches({ store, runner, now, recentBatches: engine.recentBatches }),
  };
  return built;
}
