import type { ContainerClient } from "@azure/storage-blob";
import type { AppServices } from "../../services/appServices.js";
import { openContainer } from "../../storage/containerAccess.js";
import { StorageUrlError, type ContainerLocation } from "../../storage/containerUrl.js";
import { probeWritable, type WriteProbeOutcome } from "../../storage/writeProbe.js";
import { DiError } from "./errors.js";

/**
 * The caller's storage as reached while the caller waits (the source count, the result check):
 * one retry and a time limit, never the SDK's long chain. A check cut short lets the batch start.
 */
export const WHILE_CALLER_WAITS = {
  retry: { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 500, tryTimeoutInMs: 5_000 },
  countTimeoutMs: 10_000,
  probeTimeoutMs: 5_000,
} as const;

const TARGET = "resultContainerUrl";

/**
 * Opens a caller's container for a check made before the 202. A URL no credential can reach
 * (a SAS-less loopback account that is not the app's own) is refused here, in DI's error
 * format, for the source as for the results: after the 202 it could only fail the batch.
 */
export function openWhileCallerWaits(location: ContainerLocation, services: Pick<AppServices, "storage">, target: string): ContainerClient {
  try {
    return openContainer(location, services.storage, { retry: WHILE_CALLER_WAITS.retry, target });
  } catch (error) {
    if (error instanceof StorageUrlError) throw DiError.invalidArgument(error.code, error.message, target);
    throw error;
  }
}

/**
 * Refuses a batch whose results could not be written, before any document is analyzed: a
 * missing result container or a SAS / identity without write permission would otherwise fail
 * every document at its end. A probe that gets no clear answer lets the batch start.
 */
export async function requireWritableResults(location: ContainerLocation, services: Pick<AppServices, "storage">): Promise<void> {
  const container = openWhileCallerWaits(location, services, TARGET);
  // Permissions are the container's (SAS and roles), so one name at its root tells for every prefix.
  const probe = await probeWritable(container, ".docbatch-write-check", { timeoutMs: WHILE_CALLER_WAITS.probeTimeoutMs });
  switch (probe.outcome) {
    case "writable":
    case "unknown":
      return;
    case "containerNotFound":
      throw DiError.invalidRequest(
        "ContainerNotFound",
        `The result container '${location.url}' does not exist (${storageSaid(probe)}). Create it before starting the batch: docbatch does not create containers.`,
        TARGET,
      );
    case "refused":
      throw DiError.invalidArgument(
        "InvalidParameter",
        `The storage service refused '${location.url}' as a result container (${storageSaid(probe)}). Check that the URL names the container itself.`,
        TARGET,
      );
    case "denied": {
      const fix = location.sas
        ? "Give resultContainerUrl a SAS that is valid, not expired and grants write (w) and create (c)."
        : "Give the app's identity Storage Blob Data Contributor on that container, or add a SAS with write (w) and create (c).";
      throw DiError.invalidArgument("InvalidSasToken", `docbatch may not write results into '${location.url}' (${storageSaid(probe)}). ${fix}`, TARGET);
    }
  }
}

function storageSaid(probe: Extract<WriteProbeOutcome, { statusCode: number }>): string {
  return `${probe.statusCode}${probe.storageCode ? ` ${probe.storageCode}` : ""}`;
}
