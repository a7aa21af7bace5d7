import type { ContainerClient } from "@azure/storage-blob";
import { isStatus } from "./tableStatusStore.js";

export type WriteProbeOutcome =
  | { outcome: "writable" }
  | { outcome: "containerNotFound" | "denied" | "refused"; statusCode: number; storageCode?: string }
  /** No answer, or one that says nothing about the container (throttling, 5xx): the batch finds out itself. */
  | { outcome: "unknown" };

/** An ETag no blob carries: the service checks the container and the permission, then refuses the condition. */
const NO_SUCH_ETAG = '"0x8D0000000000000"';

/**
 * Finds out whether blobs can be written into a container without writing one: a Put Blob
 * conditional on an ETag no blob has is authorized and routed like a real write, then refused
 * with 412 before anything is stored. 412 means writable, 404 the container is missing, 401/403
 * the SAS or the identity may not write, 400 the URL names no valid container (its name, say).
 */
export async function probeWritable(container: ContainerClient, blobName: string, options: { timeoutMs: number }): Promise<WriteProbeOutcome> {
  try {
    await container.getBlockBlobClient(blobName).upload(Buffer.alloc(0), 0, {
      conditions: { ifMatch: NO_SUCH_ETAG },
      abortSignal: AbortSignal.timeout(options.timeoutMs),
    });
    // Cannot happen (no blob has that ETag); if it did, the write went through: writable.
    return { outcome: "writable" };
  } catch (error) {
    if (isStatus(error, 412)) return { outcome: "writable" };
    const statusCode = (error as { statusCode?: number }).statusCode;
    const storageCode = (error as { details?: { errorCode?: string } }).details?.errorCode;
    // A service answering BlobNotFound evaluated the condition, so it authorized the write.
    if (statusCode === 404 && storageCode === "BlobNotFound") return { outcome: "writable" };
    if (statusCode === 404) return { outcome: "containerNotFound", statusCode, storageCode };
    if (statusCode === 401 || statusCode === 403) return { outcome: "denied", statusCode, storageCode };
    if (statusCode === 400) return { outcome: "refused", statusCode, storageCode };
    return { outcome: "unknown" };
  }
}
