import type { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import { REQUEST_PATH_ACCESS_WAIT, untilAccessGranted } from "../shared/accessPending.js";

/** What docbatch keeps in containers of its own: `<prefix>-<purpose>`. */
export const OWN_CONTAINER_PURPOSES = ["uploads", "openai-files", "openai-batches"] as const;
export type OwnContainerPurpose = (typeof OWN_CONTAINER_PURPOSES)[number];

/**
 * One of docbatch's own containers in the app's account (`<prefix>-<purpose>`, lowercased),
 * created on first use. `ready()` creates it once per process; a failed attempt is retried by
 * the next call.
 */
export function ownContainer(blobService: BlobServiceClient, prefix: string, purpose: OwnContainerPurpose): { container: ContainerClient; ready(): Promise<unknown> } {
  const container = blobService.getContainerClient(`${prefix.toLowerCase()}-${purpose}`);
  let created: Promise<unknown> | undefined;
  return {
    container,
    ready: () =>
      // Refusals of the identity on a fresh deployment: a short wait (a caller may be waiting:
      // uploads, OpenAI files), then a 503 saying so, which callers and the engine retry.
      (created ??= untilAccessGranted("docbatch's storage account", () => container.createIfNotExists(), REQUEST_PATH_ACCESS_WAIT).catch((error: unknown) => {
        created = undefined;
        throw error;
      })),
  };
}
