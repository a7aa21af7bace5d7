import type { ContainerClient } from "@azure/storage-blob";
import { isStatus } from "./tableStatusStore.js";

/** Marks result blobs with the batch that wrote them (metadata keys are lower-case identifiers). */
const WRITER_METADATA_KEY = "docbatchresultid";

export type WriteOutcome = "written" | "exists";

export interface WriteResultOptions {
  overwrite: boolean;
  /** The batch writing; a result this batch already wrote counts as written, not as existing. */
  batchId: string;
}

/**
 * Writes one `.ocr.json` result. Without overwrite the write is conditional (If-None-Match: *),
 * so an existing or concurrently written result is never replaced and no check-then-write race
 * exists. A result carrying this batch's id was written by an earlier delivery of the same
 * activity: reporting it as written keeps retried and duplicated activities idempotent.
 */
export async function writeResult(
  container: ContainerClient,
  blobName: string,
  content: string,
  options: WriteResultOptions,
): Promise<WriteOutcome> {
  const blob = container.getBlockBlobClient(blobName);
  const body = Buffer.from(content, "utf8");
  try {
    await blob.upload(body, body.byteLength, {
      blobHTTPHeaders: { blobContentType: "application/json; charset=utf-8" },
      metadata: { [WRITER_METADATA_KEY]: options.batchId },
      conditions: options.overwrite ? undefined : { ifNoneMatch: "*" },
    });
    return "written";
  } catch (error) {
    if (options.overwrite || !(isStatus(error, 409) || isStatus(error, 412))) throw error;
    const existing = await blob.getProperties();
    return existing.metadata?.[WRITER_METADATA_KEY] === options.batchId ? "written" : "exists";
  }
}

const RESULT_SUFFIX = ".ocr.json";

export function resultBlobName(resultPrefix: string, relativePath: string): string {
  return `${resultPrefix}${relativePath}${RESULT_SUFFIX}`;
}

/** True for a blob named like a result of this API. */
export function isResultName(blobName: string): boolean {
  return blobName.endsWith(RESULT_SUFFIX);
}
