import { createRequire } from "node:module";
import { createAppStorage } from "../storage/appStorage.js";

const version: string = createRequire(import.meta.url)("../../../package.json").version;

export interface HealthReport {
  name: "docbatch";
  version: string;
  storage: { reachable: boolean; error?: string };
}

export async function checkHealth(): Promise<HealthReport> {
  try {
    const storage = createAppStorage();
    await storage.blobService.getProperties({ abortSignal: AbortSignal.timeout(5000) });
    return { name: "docbatch", version, storage: { reachable: true } };
  } catch (error) {
    return { name: "docbatch", version, storage: { reachable: false, error: (error as Error).message } };
  }
}
