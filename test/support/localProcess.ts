import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import DocumentIntelligence, { isUnexpected } from "@azure-rest/ai-document-intelligence";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { AZURITE_ACCOUNT, AZURITE_KEY } from "./azurite.js";
import { createContainer, sasUrlFor, type Docbatch } from "./docbatchHost.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/local-host/cli.js: what `npm run local` runs after building. */
export const LOCAL_CLI = path.resolve(here, "../../local-host/cli.js");

export interface RunningLocal {
  child: ChildProcess;
  /** DOCBATCH_URL, DOCBATCH_KEY, AZURE_STORAGE_CONNECTION_STRING as printed. */
  values: Record<string, string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

export interface StartLocalOptions {
  /** Node options before the script, e.g. `--import` of a test fault hook. */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** `npm run local --data dir` in its own process group, so a kill can take Azurite down with it as a crash would. */
export async function startLocal(dataDir: string, port: number, options: StartLocalOptions = {}): Promise<RunningLocal> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), LOCAL_CLI, "--data", dataDir, "--port", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { ...process.env, ...options.env },
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const values: Record<string, string> = {};
  for await (const line of createInterface({ input: child.stdout! })) {
    const eq = line.indexOf("=");
    if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
    if (Object.keys(values).length === 3) break;
  }
  assert.equal(Object.keys(values).length, 3, stderr);
  return { child, values, exited, stderr: () => stderr };
}

/** Stops a run's whole process group (the host and its Azurite), whatever state it is in. */
export async function stopLocal(local: RunningLocal): Promise<void> {
  try {
    process.kill(-local.child.pid!, "SIGTERM");
  } catch {
    // Already gone.
  }
  await local.exited;
}

/** Resolves once no process of the group is left; the test's timeout fails it otherwise. */
export async function groupGone(pgid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The run's Azurite blob service (shared key) and its description for SAS URLs, and a DI client on the run. */
export function clientsOf(local: RunningLocal) {
  const blobEndpoint = /BlobEndpoint=([^;]+)/.exec(local.values.AZURE_STORAGE_CONNECTION_STRING)![1];
  const blobService = new BlobServiceClient(blobEndpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
  const azurite = { blobEndpoint, accountName: AZURITE_ACCOUNT, accountKey: AZURITE_KEY } as Docbatch["azurite"];
  const documentIntelligence = () => DocumentIntelligence(local.values.DOCBATCH_URL, { key: local.values.DOCBATCH_KEY }, { allowInsecureConnection: true });
  return { blobService, azurite, documentIntelligence };
}

/**
 * Puts `documents` (name → text) in a new source container and starts a prebuilt-read batch of
 * them on the run with the official client; returns its first answer and the result container.
 */
export async function startAnalyzeBatch(local: RunningLocal, documents: Record<string, string>) {
  const { blobService, azurite, documentIntelligence } = clientsOf(local);
  const source = await createContainer(blobService, documents);
  const results = await createContainer(blobService);
  const initial = await documentIntelligence()
    .path("/documentModels/{modelId}:analyzeBatch", "prebuilt-read")
    .post({
      contentType: "application/json",
      body: { azureBlobSource: { containerUrl: await sasUrlFor(source, azurite, "rl") }, resultContainerUrl: await sasUrlFor(results, azurite) },
    });
  assert.ok(!isUnexpected(initial), JSON.stringify(initial.body));
  return { initial, results };
}
