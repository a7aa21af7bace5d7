import type { BlobServiceClient, ContainerClient } from "@azure/storage-blob";

/**
 * One of docbatch's own containers in the app's account (`<prefix>-<purpose>`, lowercased),
 * created on first use. `ready()` creates it once per process; a failed attempt is retried by
 * the next call.
 */
export function ownContainer(blobService: BlobServiceClient, prefix: string, purpose: string): { container: ContainerClient; ready(): Promise<unknown> } {
  const container = blobService.getContainerClient(`${prefix.toLowerCase()}-${purpose}`);
  let created: Promise<unknown> | undefined;
  return {
    container,
    ready: () =>
      (created ??= container.createIfNotExists().catch((error: unknown) => {
        created = undefined;
        throw error;
      })),
  };
}
