import { createRequire } from "node:module";
import { createAppStorage } from "../storage/appStorage.js";

const version: string = createRequire(import.meta.url)("../../../package.json").version;

export interface HealthReport {
  name: "docbatch";
  version: string;
  storage: { reachable: boolean; error?: string };
}

/** Storage reachable: 200. Unreachable: 503 with Retry-After, so probes and load balancers see it. */
export async function healthResponse(): Promise<{ status: number; headers?: Record<string, string>; jsonBody: HealthReport }> {
  const report = await checkHealth();
  return report.storage.reachable ? { status: 200, jsonBody: report } : { status: 503, headers: { "retry-after": "5" }, jsonBody: report };
}

export async function checkHealth(): Promise<HealthReport> {
  try {
    const storage = createAppStorage(process.env, { requestPath: true });
    await storage.blobService.getProperties({ abortSignal: AbortSignal.timeout(3000) });
    return { name: "docbatch", version, storage: { reachable: true } };
  } catch (error) {
    return { name: "docbatch", version, storage: { reachable: false, error: (error as Error).message } };
  }
}
