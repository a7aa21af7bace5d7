import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import DocumentIntelligence, { getLongRunningPoller, isUnexpected } from "@azure-rest/ai-document-intelligence";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  type ContainerClient,
} from "@azure/storage-blob";
import { startLocalHost, type LocalHost } from "../../local-host/index.js";
import { generateSecretBoxKey } from "../../src/storage/secretBox.js";
import { useAzurite, type RunningAzurite } from "./azurite.js";
import { startLocalStorage } from "../../local-host/storage/localStorage.js";
import { startOpenApiProxy, type OpenApiProxy } from "./openApiProxy.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const APP_ENTRY = path.resolve(here, "../../src/index.js");

export interface Docbatch {
  host: LocalHost;
  azurite: RunningAzurite;
  apiKey: string;
  blobService: BlobServiceClient;
  client: ReturnType<typeof DocumentIntelligence>;
  /** With `checkOpenApi`: the proxy every client goes through, and what it found. */
  openApi?: OpenApiProxy;
  /** Stops everything; with `checkOpenApi`, then fails when an answer broke /openapi.json. */
  close(): Promise<void>;
}

export interface StartDocbatchOptions {
  env?: Record<string, string>;
  maxConcurrentActivities?: number;
  /**
   * Put a proxy in front of the app that checks every answer against its /openapi.json
   * (`host.url` and the links the app answers with point at the proxy); close() fails on a mismatch.
   */
  checkOpenApi?: boolean;
  /** The durable engine keeps its instances in this folder, as `npm run local -- --data` does (default: in memory). */
  durableStateDir?: string;
  /**
   * Everything on disk in this folder as `npm run local -- --data` keeps it: a private Azurite
   * saving to <dataDir>/azurite behind the storage barrier, the durable instances in <dataDir>/durable.
   */
  dataDir?: string;
}

/** docbatch itself, run through the local host against Azurite, with the official DI client pointed at it. */
export async function startDocbatch(options: StartDocbatchOptions = {}): Promise<Docbatch> {
  const local = options.dataDir ? await startLocalStorage({ location: path.join(options.dataDir, "azurite"), log: (message) => process.stderr.write(`${message}\n`) }) : undefined;
  const azurite: RunningAzurite = local ? { ...local.supervisor.current, stop: () => local.supervisor.stop() } : await useAzurite();
  const apiKey = `key-${randomUUID()}`;
  const openApi = options.checkOpenApi ? await startOpenApiProxy() : undefined;
  const appHost = await startLocalHost({
    entry: APP_ENTRY,
    maxConcurrentActivities: options.maxConcurrentActivities,
    durableStateDir: options.durableStateDir ?? (options.dataDir && path.join(options.dataDir, "durable")),
    storageBarrier: local?.storageBarrier,
    env: {
      AzureWebJobsStorage: azurite.connectionString,
      DOCBATCH_API_KEYS: `${apiKey},rotated-${apiKey}`,
      DOCBATCH_ENCRYPTION_KEY: generateSecretBoxKey(),
      DOCBATCH_ALLOW_LOOPBACK_HTTP: "true",
      // As `npm run local` sets it; tests of the default pass "" (unset).
      DOCBATCH_ALLOWED_STORAGE_ACCOUNTS: azurite.accountName,
      DOCBATCH_TASK_HUB: "docbatchtest",
      DOCBATCH_TABLE_PREFIX: `t${randomUUID().replace(/-/g, "").slice(0, 12)}`,
      ...(openApi ? { DOCBATCH_PUBLIC_URL: openApi.url } : {}),
      ...options.env,
    },
  });
  if (openApi) openApi.target = appHost.url;
  const host: LocalHost = openApi ? { ...appHost, url: openApi.url } : appHost;
  const blobService = new BlobServiceClient(
    azurite.blobEndpoint,
    new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey),
  );
  const client = DocumentIntelligence(host.url, { key: apiKey }, { allowInsecureConnection: true });
  return {
    host,
    azurite,
    apiKey,
    blobService,
    client,
    openApi,
    close: async () => {
      await openApi?.settled();
      if (openApi) process.stderr.write(`openapi: ${openApi.checked} answers checked, ${openApi.problems.length} problems\n`);
      await host.close();
      await openApi?.close();
      await azurite.stop();
      if (openApi?.problems.length) {
        throw new Error(`${openApi.problems.length} of ${openApi.checked} answers broke /openapi.json:\n${openApi.problems.join("\n")}`);
      }
    },
  };
}

export async function createContainer(
  blobService: BlobServiceClient,
  documents: Record<string, string | Uint8Array> = {},
): Promise<ContainerClient> {
  const container = blobService.getContainerClient(`c${randomUUID().replace(/-/g, "").slice(0, 20)}`);
  await container.create();
  for (const [name, content] of Object.entries(documents)) {
    const body = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
    await container.getBlockBlobClient(name).upload(body, body.byteLength);
  }
  return container;
}

/** A SAS URL for a container, as a caller would hand to the service. */
export async function sasUrlFor(container: ContainerClient, azurite: RunningAzurite, permissions = "rwlc", expiresInMs = 3_600_000): Promise<string> {
  const credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
  const authorized = new BlobServiceClient(azurite.blobEndpoint, credential).getContainerClient(container.containerName);
  return authorized.generateSasUrl({
    permissions: ContainerSASPermissions.parse(permissions),
    expiresOn: new Date(Date.now() + expiresInMs),
  });
}

export interface BatchRequestBody {
  azureBlobSource?: { containerUrl: string; prefix?: string };
  azureBlobFileListSource?: { containerUrl: string; fileList: string };
  resultContainerUrl: string;
  resultPrefix?: string;
  overwriteExisting?: boolean;
}

/** Starts a batch with the official client and polls it to the end with its own poller. */
export async function runBatch(docbatch: Docbatch, modelId: string, body: BatchRequestBody, queryParameters: Record<string, string> = {}) {
  const initial = await docbatch.client
    .path("/documentModels/{modelId}:analyzeBatch", modelId)
    .post({ contentType: "application/json", body, queryParameters });
  if (isUnexpected(initial)) throw new Error(`analyzeBatch answered ${initial.status}: ${JSON.stringify(initial.body)}`);
  const poller = getLongRunningPoller(docbatch.client, initial, { intervalInMs: 200 });
  const final = await poller.pollUntilDone();
  return { initial, final, operationLocation: initial.headers["operation-location"] };
}

export async function readJsonBlob(container: ContainerClient, name: string): Promise<any> {
  const buffer = await container.getBlobClient(name).downloadToBuffer();
  return JSON.parse(buffer.toString("utf8"));
}

export async function listBlobNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names.sort();
}

/** Starts a batch with the official client and returns its first answer, whatever it is (for refusals). */
export async function submitBatch(docbatch: Docbatch, body: BatchRequestBody, modelId = "prebuilt-read") {
  const response = await docbatch.client.path("/documentModels/{modelId}:analyzeBatch", modelId).post({ contentType: "application/json", body });
  return { status: response.status, body: response.body as any };
}

/** POSTs an analyzeBatch body over plain HTTP (bodies the typed client would not send). */
export async function postAnalyzeBatch(docbatch: Docbatch, body: unknown, options: { modelId?: string; query?: string } = {}) {
  const url = `${docbatch.host.url}/documentintelligence/documentModels/${options.modelId ?? "prebuilt-read"}:analyzeBatch?${options.query ?? "api-version=2024-11-30"}`;
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "ocp-apim-subscription-key": docbatch.apiKey },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
