/**
 * Which analyzer serves a model id: the offline reader for prebuilt-read/prebuilt-layout, and
 * Azure AI Document Intelligence for every other model (and for read/layout when the app prefers
 * the cloud) when an endpoint is configured. Analyzers are created on first use and live as long
 * as the registry: OCR workers start once per process and are reused by every document.
 */
import { readSettings, type DocbatchSettings } from "../config/settings.js";
import { MODEL_ID_PATTERN } from "./modelId.js";
import type { Analyzer, ModelDescription } from "./analyzer.js";
import { createDocumentIntelligenceAnalyzer, type DocumentIntelligenceAnalyzer } from "./documentIntelligence/documentIntelligenceAnalyzer.js";
import type { DocumentIntelligenceClientOptions } from "./documentIntelligence/documentIntelligenceClient.js";
import { createOfflineAnalyzer, OFFLINE_MODELS, type OfflineAnalyzer } from "./offline/offlineAnalyzer.js";

export interface AnalyzerRegistry {
  /**
   * The analyzer of a model, or undefined for a model nobody serves (404 ModelNotFound).
   * `runsOn` asks for one place instead of the app's choice: `offline` only the offline reader,
   * `documentIntelligence` only the configured Document Intelligence resource.
   */
  resolve(modelId: string, options?: { runsOn?: ModelDescription["runsOn"] }): Promise<Analyzer | undefined>;
  /** Models for GET /documentintelligence/documentModels. */
  list(): ModelDescription[];
  /** Stops OCR workers; the registry cannot be used afterwards. */
  close(): Promise<void>;
}

export interface AnalyzerRegistryOverrides {
  /** Client tuning for the Document Intelligence passthrough (tests shorten the waits). */
  documentIntelligence?: Partial<Omit<DocumentIntelligenceClientOptions, "endpoint" | "key" | "requestsPerSecond">>;
  /** Resolution scanned PDF pages are rendered at for OCR. */
  ocrDpi?: number;
}

export function createAnalyzerRegistry(
  settings: Pick<DocbatchSettings, "ocrWorkers" | "analyzeTimeoutMs" | "documentIntelligence"> & Partial<Pick<DocbatchSettings, "maxTextCharacters">>,
  overrides: AnalyzerRegistryOverrides = {},
): AnalyzerRegistry {
  let offline: OfflineAnalyzer | undefined;
  let cloud: DocumentIntelligenceAnalyzer | undefined;
  let closed = false;
  const di = settings.documentIntelligence;
  const getOffline = () => (offline ??= createOfflineAnalyzer({
      ocrWorkers: settings.ocrWorkers,
      timeoutMs: settings.analyzeTimeoutMs,
      ocrDpi: overrides.ocrDpi,
      maxTextCharacters: settings.maxTextCharacters,
    }));
  const getCloud = () =>
    di
      ? (cloud ??= createDocumentIntelligenceAnalyzer({
          endpoint: di.endpoint,
          key: di.key,
          requestsPerSecond: di.requestsPerSecond,
          ...overrides.documentIntelligence,
        }))
      : undefined;
  const offlineIds = new Set(OFFLINE_MODELS.map((model) => model.modelId));

  return {
    async resolve(modelId, options = {}) {
      if (closed) throw new Error("The analyzer registry is closed.");
      if (!MODEL_ID_PATTERN.test(modelId)) return undefined;
      if (options.runsOn === "offline") return offlineIds.has(modelId) ? getOffline() : undefined;
      if (options.runsOn === "openai") return undefined;
      const cloudAsked = options.runsOn === "documentIntelligence";
      if (offlineIds.has(modelId) && !cloudAsked && !(di?.preferCloudRead && getCloud())) return getOffline();
      const remote = getCloud();
      if (!remote) return undefined;
      if (offlineIds.has(modelId)) return remote;
      return (await remote.hasModel(modelId)) ? remote : undefined;
    },
    list() {
      const models = new Map<string, ModelDescription>();
      const remote = getCloud();
      for (const model of remote?.models ?? []) models.set(model.modelId, model);
      if (!di?.preferCloudRead) for (const model of OFFLINE_MODELS) models.set(model.modelId, model);
      return [...models.values()];
    },
    async close() {
      closed = true;
      await Promise.all([offline?.close(), cloud?.close?.()]);
    },
  };
}

let shared: AnalyzerRegistry | undefined;

/** The process-wide registry, built from the app settings (and the first caller's overrides) on first call. */
export function getAnalyzerRegistry(overrides: AnalyzerRegistryOverrides = {}): AnalyzerRegistry {
  shared ??= createAnalyzerRegistry(readSettings(), overrides);
  return shared;
}

/** Closes the process-wide registry (shutdown, tests); the next get builds a new one. */
export async function closeAnalyzerRegistry(): Promise<void> {
  const registry = shared;
  shared = undefined;
  await registry?.close();
}
