import { randomUUID } from "node:crypto";
import { BlobServiceClient, StorageSharedKeyCredential, ContainerSASPermissions, type ContainerClient } from "@azure/storage-blob";
import { useAzurite, type RunningAzurite } from "../support/azurite.js";
import { createAppStorage, type AppStorage } from "../../src/storage/appStorage.js";
import type { StorageUrlPolicy } from "../../src/storage/containerUrl.js";

/** Azurite, the app's storage on it, and an admin client (shared key) to set up containers and blobs. */
export interface StorageFixture {
  azurite: RunningAzurite;
  app: AppStorage;
  admin: BlobServiceClient;
  /** Dev policy: loopback http allowed, allow-list defaulting to the app's own (Azurite) account. */
  policy: StorageUrlPolicy;
  newContainer(label: string): Promise<ContainerClient>;
  /** A container SAS URL made by the SDK with the Azurite key. */
  sasUrl(container: ContainerClient, permissions: string, expiresOn?: Date): Promise<string>;
}

export async function storageFixture(): Promise<StorageFixture> {
  const azurite = await useAzurite();
  const app = createAppStorage({ AzureWebJobsStorage: azurite.connectionString });
  const admin = new BlobServiceClient(azurite.blobEndpoint, new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey));
  return {
    azurite,
    app,
    admin,
    policy: { allowedAccounts: [app.accountName], allowLoopbackHttp: true, localBlobEndpoint: app.blobEndpoint, appAccountName: app.accountName },
    async newContainer(label) {
      const container = admin.getContainerClient(`${label}-${randomUUID().slice(0, 8)}`);
      await container.create();
      return container;
    },
    sasUrl(container, permissions, expiresOn = new Date(Date.now() + 3600_000)) {
      return container.generateSasUrl({ permissions: ContainerSASPermissions.parse(permissions), expiresOn });
    },
  };
}

export async function collect<T>(pages: AsyncIterable<T[]>): Promise<{ pages: T[][]; items: T[] }> {
  const all: T[][] = [];
  for await (const page of pages) all.push(page);
  return { pages: all, items: all.flat() };
}
