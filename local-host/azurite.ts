import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

export interface AzuriteEndpoints {
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  connectionString: string;
  accountName: string;
  accountKey: string;
}

export interface RunningAzurite extends AzuriteEndpoints {
  ports?: { blob: number; queue: number; table: number };
  stop(): Promise<void>;
}

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
  ];
  if (options.location) args.push("--location", options.location);
  else args.push("--inMemoryPersistence");
  if (options.debugLogPath) args.push("--debug", options.debugLogPath);

  // With a location Azurite writes to a log file there, not to pipes: if its parent dies, a
  // write to a broken pipe would kill Azurite before it saves its stores.
  const logFile = options.location ? path.join(options.location, "azurite.log") : undefined;
  if (options.location) fs.mkdirSync(options.location, { recursive: true });
  const logFd = logFile ? fs.openSync(logFile, "a") : undefined;
  // Azurite dies with its parent, also when the parent crashes: the IPC channel closes with the
  // parent, and Azurite then stops the way SIGTERM stops it, saving its stores first. The channel
  // is unref'd there too, or it would keep Azurite alive after its servers closed on SIGTERM
  // (a stop then waited out the SIGKILL fallback: 5 s).
  const withParent = `data:text/javascript,${encodeURIComponent("process.channel?.unref();process.on('disconnect',()=>process.kill(process.pid,'SIGTERM'))")}`;
  const child = spawn(process.execPath, ["--import", withParent, ...args], {
    stdio: logFd === undefined ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", logFd, logFd, "ipc"],
  });
  // The channel exists only to tell Azurite its parent is gone; it must not keep the parent alive.
  child.channel?.unref();
  if (logFd !== undefined) fs.closeSync(logFd);
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  await waitForPorts(child, host, [ports.blob, ports.queue, ports.table], () => (logFile ? fs.readFileSync(logFile, "utf8") : output));

  const endpoints = endpointsFor(host, ports);
  return {
    ...endpoints,
    ports,
    stop: () => stopChild(child),
  };
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
