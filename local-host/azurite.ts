import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LaunchConfig, LauncherMessage, ParentMessage } from "./storage/launcherProtocol.js";

export interface AzuriteEndpoints {
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  connectionString: string;
  accountName: string;
  accountKey: string;
}

type AzuritePorts = { blob: number; queue: number; table: number };

export interface RunningAzurite extends AzuriteEndpoints {
  ports?: AzuritePorts;
  /**
   * On disk only: resolves once every change Azurite answered before the call is saved to its
   * files (rejects with StorageNotSavedError when it could not be, e.g. Azurite died).
   */
  flush?(): Promise<void>;
  /** Resolves when the Azurite process exits, stopped or not (absent for a shared test Azurite). */
  exited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The Azurite process (absent for a shared test Azurite). */
  pid?: number;
  stop(): Promise<void>;
}

/** Changes Azurite answered may not be on disk. */
export class StorageNotSavedError extends Error {}
export class AzuriteStartError extends Error {}

/** The well-known development account every Azurite accepts. */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const ENV_NAME = "DOCBATCH_TEST_AZURITE";

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export function endpointsFor(host: string, ports: { blob: number; queue: number; table: number }): AzuriteEndpoints {
  const blobEndpoint = `http://${host}:${ports.blob}/${AZURITE_ACCOUNT}`;
  const queueEndpoint = `http://${host}:${ports.queue}/${AZURITE_ACCOUNT}`;
  const tableEndpoint = `http://${host}:${ports.table}/${AZURITE_ACCOUNT}`;
  return {
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
  };
}

export interface StartAzuriteOptions {
  /** Folder for data that survives restarts; in memory when omitted. */
  location?: string;
  ports?: { blob?: number; queue?: number; table?: number };
  host?: string;
  /** Azurite's debug log (every request), e.g. for counting storage calls. */
  debugLogPath?: string;
}

/** Starts Azurite from the npm package on free loopback ports, telemetry off. */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? "127.0.0.1";
  const ports = {
    blob: options.ports?.blob ?? (await freePort(host)),
    queue: options.ports?.queue ?? (await freePort(host)),
    table: options.ports?.table ?? (await freePort(host)),
  };
  return options.location ? startOnDisk({ ...options, location: options.location }, host, ports) : startInMemory(options, host, ports);
}

/** In memory: Azurite's own CLI. Nothing to save, so nothing to flush. */
async function startInMemory(options: StartAzuriteOptions, host: string, ports: AzuritePorts): Promise<RunningAzurite> {
  const require = createRequire(import.meta.url);
  const azuriteMain = path.join(path.dirname(require.resolve("azurite/package.json")), "dist", "src", "azurite.js");
  const args = [
    azuriteMain,
    "--silent",
    "--disableTelemetry",
    "--skipApiVersionCheck",
    "--loose",
    "--blobHost", host, "--blobPort", String(ports.blob),
    "--queueHost", host, "--queuePort", String(ports.queue),
    "--tableHost", host, "--tablePort", String(ports.table),
    "--inMemoryPersistence",
  ];
  if (options.debugLogPath) args.push("--debug", options.debugLogPath);
  // Azurite dies with its parent, also when the parent crashes: the IPC channel closes with the
  // parent, and Azurite then stops the way SIGTERM stops it. The channel is unref'd there too, or
  // it would keep Azurite alive after its servers closed on SIGTERM.
  const withParent = `data:text/javascript,${encodeURIComponent("process.channel?.unref();process.on('disconnect',()=>process.kill(process.pid,'SIGTERM'))")}`;
  const child = spawn(process.execPath, ["--import", withParent, ...args], { stdio: ["ignore", "pipe", "pipe", "ipc"] });
  // The channel exists only to tell Azurite its parent is gone; it must not keep the parent alive.
  child.channel?.unref();
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  await waitForPorts(child, host, [ports.blob, ports.queue, ports.table], () => output);
  return { ...endpointsFor(host, ports), ports, pid: child.pid, exited: exitOf(child), stop: () => stopChild(child) };
}

/**
 * On disk: our launcher (storage/azuriteLauncher.ts) runs Azurite's servers and saves its stores
 * when asked. `flush()` resolves once everything Azurite answered before the call is on disk.
 */
async function startOnDisk(options: StartAzuriteOptions & { location: string }, host: string, ports: AzuritePorts): Promise<RunningAzurite> {
  fs.mkdirSync(options.location, { recursive: true });
  // Logs go to a file there, not to pipes: if its parent dies, a write to a broken pipe would kill
  // Azurite before it saves its stores.
  const logFile = path.join(options.location, "azurite.log");
  const logFd = fs.openSync(logFile, "a");
  const config: LaunchConfig = { host, ports, location: options.location, debugLogPath: options.debugLogPath, saveIntervalMs: 5_000 };
  const launcher = fileURLToPath(new URL("./storage/azuriteLauncher.js", import.meta.url));
  const child = spawn(process.execPath, [launcher, JSON.stringify(config)], { stdio: ["ignore", logFd, logFd, "ipc"] });
  fs.closeSync(logFd);
  const exited = exitOf(child);
  // Failures to signal or message it show up as its exit or as a failed flush.
  child.on("error", () => {});
  const log = () => fs.readFileSync(logFile, "utf8").slice(-4000);
  const ready = await new Promise<LauncherMessage>((resolve) => {
    child.on("message", function first(message: LauncherMessage) {
      if (message.type === "ready" || message.type === "failed") {
        child.off("message", first);
        resolve(message);
      }
    });
    void exited.then(({ code, signal }) => resolve({ type: "failed", message: `Azurite exited (${signal ?? code}) while starting: ${log()}` }));
  });
  if (ready.type === "failed") {
    await stopChild(child);
    throw new AzuriteStartError(ready.message);
  }
  // The channel carries flushes while Azurite runs; it must not keep the parent alive.
  child.channel?.unref();
  const pending = new Map<number, { resolve(): void; reject(error: Error): void }>();
  let nextId = 0;
  child.on("message", (message: LauncherMessage) => {
    if (message.type !== "flushed") return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error === undefined) waiting?.resolve();
    else waiting?.reject(new StorageNotSavedError(`Azurite could not save its stores: ${message.error}`));
  });
  void exited.then(({ code, signal }) => {
    for (const waiting of pending.values()) waiting.reject(new StorageNotSavedError(`Azurite exited (${signal ?? code}) before it saved its stores`));
    pending.clear();
  });
  // One request per call: callers batch their flushes (storage/storageBarrier.ts), and the
  // launcher coalesces what still overlaps.
  const flush = () =>
    new Promise<void>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null || !child.connected) {
        return reject(new StorageNotSavedError("Azurite is not running"));
      }
      const id = nextId++;
      pending.set(id, { resolve, reject });
      // With a callback, a channel that broke as Azurite died (EPIPE) fails this flush instead of
      // raising an 'error' event nobody handles.
      child.send({ type: "flush", id } satisfies ParentMessage, (error) => {
        if (!error) return;
        pending.delete(id);
        reject(new StorageNotSavedError(`Azurite did not take the save request: ${error.message}`));
      });
    });
  return { ...endpointsFor(host, ports), ports, pid: child.pid, exited, flush, stop: () => stopChild(child) };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

async function waitForPorts(child: ChildProcess, host: string, ports: number[], output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const port of ports) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Azurite exited (${child.exitCode}): ${output()}`);
      try {
        const response = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(1000) });
        await response.body?.cancel();
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`Azurite did not listen on ${host}:${port}: ${output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}

/**
 * Azurite for one test file: the shared instance that `npm test` started (its endpoints are in
 * DOCBATCH_TEST_AZURITE), or a private one when a test file runs on its own.
 */
export async function useAzurite(): Promise<RunningAzurite> {
  const shared = process.env[ENV_NAME];
  if (shared) {
    return { ...(JSON.parse(shared) as AzuriteEndpoints), stop: async () => {} };
  }
  return startAzurite();
}

export function shareAzurite(endpoints: AzuriteEndpoints): Record<string, string> {
  const { blobEndpoint, queueEndpoint, tableEndpoint, connectionString, accountName, accountKey } = endpoints;
  return { [ENV_NAME]: JSON.stringify({ blobEndpoint, queueEndpoint, tableEndpoint, connectionString, accountName, accountKey }) };
}
