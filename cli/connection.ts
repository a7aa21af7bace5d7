// Where the CLI finds docbatch: the environment first (DOCBATCH_URL, DOCBATCH_KEY,
// AZURE_STORAGE_CONNECTION_STRING, each on its own), then the data folder of a running
// `npm run local` (--data / DOCBATCH_DATA, else the repo's .local-data/).
import { readFileSync } from "node:fs";
import path from "node:path";
import { endpointsFor } from "../local-host/azurite.js";
import { DEFAULT_LOCAL_DATA_DIR, ENDPOINTS_FILE_NAME, readEndpointsFile, type LocalEndpoints } from "../local-host/endpointsFile.js";
import { UsageError } from "./exitCodes.js";

export interface Connection {
  url: string;
  key: string;
  /** Needed only to upload local folders. */
  storageConnectionString?: string;
  /** Where the values came from, for error messages. */
  origin: string;
}

export function resolveConnection(options: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Connection {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dataDir ?? env.DOCBATCH_DATA ?? DEFAULT_LOCAL_DATA_DIR);
  const saved = readEndpointsFile(dataDir) ?? fromLocalHostFiles(dataDir);
  const url = env.DOCBATCH_URL || saved?.DOCBATCH_URL;
  const key = env.DOCBATCH_KEY || saved?.DOCBATCH_KEY;
  if (!url || !key) {
    throw new UsageError(
      `No docbatch to talk to: set DOCBATCH_URL and DOCBATCH_KEY, or start \`npm run local\` (it writes ${path.join(dataDir, ENDPOINTS_FILE_NAME)}; ` +
        "with `npm run local -- --data DIR`, pass the same --data DIR here).",
    );
  }
  const fromEnv = Boolean(env.DOCBATCH_URL && env.DOCBATCH_KEY);
  return {
    url: url.replace(/\/+$/, ""),
    key,
    storageConnectionString: env.AZURE_STORAGE_CONNECTION_STRING || saved?.AZURE_STORAGE_CONNECTION_STRING,
    origin: fromEnv ? "DOCBATCH_URL / DOCBATCH_KEY" : path.join(dataDir, ENDPOINTS_FILE_NAME),
  };
}

/**
 * A data folder of an `npm run local` that does not write docbatch.env (an older local host)
 * still says enough: the ports it keeps (local-host.json) and the key it generated
 * (local-secrets.json). Anything unreadable there means "not a local-host folder".
 */
function fromLocalHostFiles(dataDir: string): Partial<LocalEndpoints> | undefined {
  try {
    const ports = JSON.parse(readFileSync(path.join(dataDir, "local-host.json"), "utf8")) as { app?: number; blob?: number; queue?: number; table?: number };
    const secrets = JSON.parse(readFileSync(path.join(dataDir, "local-secrets.json"), "utf8")) as { DOCBATCH_API_KEYS?: string };
    const key = secrets.DOCBATCH_API_KEYS?.split(",")[0]?.trim();
    if (!ports.app || !key) return undefined;
    const storage = ports.blob && ports.queue && ports.table
      ? endpointsFor("127.0.0.1", { blob: ports.blob, queue: ports.queue, table: ports.table }).connectionString
      : undefined;
    return { DOCBATCH_URL: `http://127.0.0.1:${ports.app}`, DOCBATCH_KEY: key, AZURE_STORAGE_CONNECTION_STRING: storage };
  } catch {
    return undefined;
  }
}
