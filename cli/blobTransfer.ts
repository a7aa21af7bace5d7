// Moving the user's files: a local folder up into a container docbatch can read, results down
// into a folder that mirrors it.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { BlobServiceClient, ContainerClient, ContainerSASPermissions } from "@azure/storage-blob";
import pLimit from "p-limit";
import { checkStorageConnectionString } from "./connection.js";
import { UsageError } from "./exitCodes.js";

const TRANSFER_CONCURRENCY = 8;
const SAS_LIFETIME_MS = 24 * 3_600_000;

/** Files under `folder` (recursively, regular files only), as forward-slash relative paths. */
export async function listLocalFiles(folder: string): Promise<string[]> {
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`${folder} is not a folder (give a folder of documents or a container URL).`);
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

/** Fails (before anything is sent) unless the CLI has a storage account it can upload a folder to. */
export function requireUploadStorage(connectionString: string | undefined): asserts connectionString is string {
  if (!connectionString) {
    throw new UsageError(
      "Uploading a local folder needs AZURE_STORAGE_CONNECTION_STRING (an account docbatch can read; `npm run local` provides its Azurite), or give a container URL instead of a folder.",
    );
  }
  checkStorageConnectionString(connectionString);
}

/** The container a local folder goes to: the one named, or a new one per run. */
export async function containerForUpload(connectionString: string | undefined, name: string | undefined): Promise<ContainerClient> {
  requireUploadStorage(connectionString);
  const service = BlobServiceClient.fromConnectionString(connectionString);
  const container = service.getContainerClient(name ?? `cli-upload-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`);
  await container.createIfNotExists();
  return container;
}

/** A SAS URL to hand to docbatch (it needs a shared-key connection string to sign). */
export function containerSasUrl(container: ContainerClient, permissions: string): Promise<string> {
  if (!container.credential || !("accountName" in container.credential)) {
    throw new UsageError("AZURE_STORAGE_CONNECTION_STRING must carry AccountName and AccountKey so the CLI can give docbatch a SAS URL.");
  }
  return container.generateSasUrl({ permissions: ContainerSASPermissions.parse(permissions), expiresOn: new Date(Date.now() + SAS_LIFETIME_MS) });
}

export async function uploadFiles(options: {
  container: ContainerClient;
  folder: string;
  files: readonly string[];
  prefix: string;
  onUploaded: (done: number) => void;
}): Promise<void> {
  const limit = pLimit(TRANSFER_CONCURRENCY);
  let done = 0;
  await Promise.all(
    options.files.map((file) =>
      limit(async () => {
        await options.container.getBlockBlobClient(options.prefix + file).uploadFile(path.join(options.folder, ...file.split("/")));
        options.onUploaded(++done);
      }),
    ),
  );
}

/** Downloads blobs to `outDir/<relative path>`; never writes outside outDir. */
export async function downloadBlobs(options: {
  container: ContainerClient;
  blobs: readonly { blobName: string; relativePath: string }[];
  outDir: string;
}): Promise<number> {
  const outDir = path.resolve(options.outDir);
  const limit = pLimit(TRANSFER_CONCURRENCY);
  await Promise.all(
    options.blobs.map(({ blobName, relativePath }) =>
      limit(async () => {
        const target = path.resolve(outDir, ...relativePath.split("/"));
        if (!target.startsWith(outDir + path.sep)) throw new UsageError(`Refusing to write ${relativePath} outside ${outDir}.`);
        await mkdir(path.dirname(target), { recursive: true });
        await options.container.getBlobClient(blobName).downloadToFile(target);
      }),
    ),
  );
  return options.blobs.length;
}

/** The blob name inside a container, from a blob URL (path-style for Azurite and IP hosts). */
export function blobNameIn(containerUrl: string, blobUrl: string): string | undefined {
  const container = new URL(containerUrl);
  const blob = new URL(blobUrl);
  const base = container.pathname.replace(/\/+$/, "") + "/";
  if (blob.origin !== container.origin || !blob.pathname.startsWith(base)) return undefined;
  return decodeURIComponent(blob.pathname.slice(base.length));
}
