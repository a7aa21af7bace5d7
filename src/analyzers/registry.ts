import type { Analyzer, ModelDescription } from "./analyzer.js";
import { readSettings, type DocbatchSettings } from "../config/settings.js";

export interface AnalyzerRegistry {
  resolve(modelId: string): Promise<Analyzer | undefined>;
  list(): ModelDescription[];
  close(): Promise<void>;
}

// Placeholder while the analyzers are written; replaced within the hour.
export function createAnalyzerRegistry(_settings: DocbatchSettings): AnalyzerRegistry {
  return { resolve: async () => undefined, list: () => [], close: async () => {} };
}

let shared: AnalyzerRegistry | undefined;
export function getAnalyzerRegistry(): AnalyzerRegistry {
  shared ??= createAnalyzerRegistry(readSettings());
  return shared;
}
