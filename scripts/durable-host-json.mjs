#!/usr/bin/env node
// azd `prepackage` hook (azure.yaml): writes the Durable Functions storage provider of the
// backend this deployment uses into host.json, so the package the platform runs and scales
// names the provider it runs on. The scale controller reads the provider from host.json on
// disk, not from app settings (Functions host FunctionsSyncManager; Durable extension issues
// #2622, #2803), hence host.json rather than an AzureFunctionsJobHost__ override.
//
// One source of truth: the azd environment value DOCBATCH_DURABLE_BACKEND, which
// infra/main.parameters.json also passes to the Bicep parameter `durableBackend`.
// The scheduler's provider is written as Microsoft's Durable Task Scheduler samples write it:
// `{ "type": "azureManaged", "connectionStringName": "DURABLE_TASK_SCHEDULER_CONNECTION_STRING" }`
// (infra/app/functionApp.bicep sets that app setting).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The backends infra/main.bicep's `durableBackend` allows, and the provider each runs on. */
export const DURABLE_PROVIDERS = {
  AzureStorage: { type: "AzureStorage", partitionCount: 4 },
  DurableTaskScheduler: { type: "azureManaged", connectionStringName: "DURABLE_TASK_SCHEDULER_CONNECTION_STRING" },
};
export const DEFAULT_BACKEND = "AzureStorage";

export class UnknownBackendError extends Error {
  constructor(backend) {
    super(`DOCBATCH_DURABLE_BACKEND is '${backend}'; use one of ${Object.keys(DURABLE_PROVIDERS).join(", ")} (azd env set DOCBATCH_DURABLE_BACKEND <value>).`);
    this.name = "UnknownBackendError";
  }
}

/** host.json's text with the storage provider of `backend`; everything else unchanged. */
export function hostJsonFor(hostJsonText, backend) {
  const provider = DURABLE_PROVIDERS[backend];
  if (!provider) throw new UnknownBackendError(backend);
  const host = JSON.parse(hostJsonText);
  host.extensions ??= {};
  host.extensions.durableTask ??= {};
  host.extensions.durableTask.storageProvider = { ...provider };
  return `${JSON.stringify(host, null, 2)}\n`;
}

/** The backend the azd environment names; empty or unset means the Bicep default. */
export function backendOf(env) {
  return env.DOCBATCH_DURABLE_BACKEND?.trim() || DEFAULT_BACKEND;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const hostJsonPath = path.join(root, "host.json");
  const backend = backendOf(process.env);
  try {
    const next = hostJsonFor(readFileSync(hostJsonPath, "utf8"), backend);
    if (next !== readFileSync(hostJsonPath, "utf8")) writeFileSync(hostJsonPath, next);
    console.log(`host.json: Durable storage provider '${DURABLE_PROVIDERS[backend].type}' (DOCBATCH_DURABLE_BACKEND=${backend}).`);
    // DURABLE_BACKEND is the last provision's output. `azd up` provisions before it deploys, so a
    // difference is expected there; `azd deploy` alone would ship a package the infra does not run.
    const provisioned = process.env.DURABLE_BACKEND?.trim();
    if (provisioned && provisioned !== backend) {
      console.log(`Note: the last provision set up ${provisioned}. With 'azd up' the next provision switches it to ${backend}; with 'azd deploy' alone, run 'azd provision' first.`);
    }
  } catch (error) {
    console.error(`docbatch prepackage: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
