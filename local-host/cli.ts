#!/usr/bin/env node
// `npm run local`: Azurite plus the app on the local host, until Ctrl-C / SIGTERM.
// Prints DOCBATCH_URL, DOCBATCH_KEY and AZURE_STORAGE_CONNECTION_STRING on stdout; logs go to stderr.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort } from "./azurite.js";
import { startLocalStorage } from "./storage/localStorage.js";
import { DataFolderInUseError, lockDataFolder } from "./dataLock.js";
import { DEFAULT_LOCAL_DATA_DIR, removeEndpointsFile, writeEndpointsFile } from "./endpointsFile.js";
import { localSecrets } from "./localSettings.js";
import { readSettings } from "../src/config/settings.js";
import { requestBodyLimitFor } from "../src/config/requestBodyLimit.js";
import { startLocalHost, type LogEntry } from "./index.js";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    port: { type: "string" },
    entry: { type: "string" },
  },
});

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.resolve(values.entry ?? path.join(here, "..", "src", "index.js"));
const dataDir = values.data ? path.resolve(values.data) : undefined;

let lock: { release(): void } | undefined;
try {
  lock = dataDir ? lockDataFolder(dataDir) : undefined;
} catch (error) {
  if (!(error instanceof DataFolderInUseError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

// Handlers from the start: a signal during startup (Azurite or the app still coming up) waits for
// it to finish, then stops cleanly and releases the folder, instead of the default action killing
// the process with the lock and endpoints file left behind.
let stopping = false;
let endpointsDir: string | undefined;
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

const started = startAll();
started.then(announce, failedToStart);

async function startAll() {
  // With --data the ports stay the same across restarts: stored batches hold SAS URLs naming them.
  const portsFile = dataDir && path.join(dataDir, "azurite-ports.json");
  const savedPorts = portsFile && fs.existsSync(portsFile) ? (JSON.parse(fs.readFileSync(portsFile, "utf8")) as { blob: number; queue: number; table: number }) : undefined;
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const location = dataDir ? path.join(dataDir, "azurite") : undefined;
  // A restarted Azurite listens where the first one did.
  const ports = savedPorts ?? { blob: await freePort(), queue: await freePort(), table: await freePort() };
  const { supervisor, storageBarrier } = await startLocalStorage({ location, ports, log });
  if (portsFile && !savedPorts) fs.writeFileSync(portsFile, JSON.stringify(ports));
  const azurite = supervisor.current;
  const secrets = localSecrets(process.env, dataDir);
  const env: Record<string, string> = {
    AzureWebJobsStorage: azurite.connectionString,
    DOCBATCH_API_KEYS: secrets.DOCBATCH_API_KEYS,
    DOCBATCH_ENCRYPTION_KEY: secrets.DOCBATCH_ENCRYPTION_KEY,
    DOCBATCH_ALLOW_LOOPBACK_HTTP: "true",
    // Local convenience: the Azurite account's containers without a SAS (its internal ones stay refused).
    DOCBATCH_ALLOWED_STORAGE_ACCOUNTS: process.env.DOCBATCH_ALLOWED_STORAGE_ACCOUNTS ?? azurite.accountName,
    DOCBATCH_TASK_HUB: process.env.DOCBATCH_TASK_HUB || "docbatch",
    // The body limit a deployment sets (infra/main.bicep), so large uploads meet it here first.
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT || String(requestBodyLimitFor(readSettings(process.env))),
  };
  try {
    const host = await startLocalHost({
      entry,
      env,
      port: values.port ? Number(values.port) : undefined,
      runTimerSchedules: true,
      durableStateDir: dataDir ? path.join(dataDir, "durable") : undefined,
      storageBarrier,
      log: (entry: LogEntry) => {
        if (["debug", "trace"].includes(entry.level) || (entry.category === "system" && entry.level === "information")) return;
        process.stderr.write(`${entry.functionName ? `[${entry.functionName}] ` : ""}${entry.message}\n`);
      },
    });
    supervisor.watch({
      lost: () => host.durable.unload(),
      quiesce: () => host.durable.invocationsSettled(),
      back: () => void host.durable.resumeFromStore(),
      gaveUp: (message) => {
        log(message);
        void stop(1);
      },
    });
    return { azurite, supervisor, storageBarrier, host, secrets };
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
}

function announce({ azurite, host, secrets }: Awaited<typeof started>): void {
  if (stopping) return;
  const endpoints = {
    DOCBATCH_URL: host.url,
    DOCBATCH_KEY: secrets.DOCBATCH_API_KEYS.split(",")[0].trim(),
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
  };
  // For `npx docbatch` in another terminal; written before the lines are printed, so whoever reads them finds it (cli/connection.ts reads it).
  endpointsDir = dataDir ?? DEFAULT_LOCAL_DATA_DIR;
  writeEndpointsFile(endpointsDir, endpoints);
  process.stdout.write(Object.entries(endpoints).map(([name, value]) => `${name}=${value}\n`).join(""));
}

async function stop(exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  const running = await started.catch(() => undefined);
  if (endpointsDir) removeEndpointsFile(endpointsDir);
  await running?.host.close();
  // The last instance changes reach disk after the storage they depend on (Azurite saves again as it stops).
  await running?.storageBarrier?.flush().catch(() => {});
  await running?.supervisor.stop();
  lock?.release();
  process.exit(exitCode);
}

/** Says why, releases the folder, exits non-zero (after a signal, stop() exits instead). */
function failedToStart(error: unknown): void {
  if (stopping) return;
  lock?.release();
  process.stderr.write(`npm run local could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
