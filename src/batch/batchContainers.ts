import type { ContainerClient } from "@azure/storage-blob";
import type { BatchRecord } from "../storage/statusTable.js";
import { openContainer } from "../storage/containerAccess.js";
import { parseContainerUrl, type ContainerLocation } from "../storage/containerUrl.js";
import type { BatchServices } from "./services.js";

export interface BatchContainers {
  source: ContainerClient;
  sourceLocation: ContainerLocation;
  result: ContainerClient;
  resultLocation: ContainerLocation;
}

/**
 * Opens a stored batch's source and result containers: the sealed URL (with its SAS) when
 * there is one, else the SAS-free URL with the app's identity. The URL policy is applied
 * again, so a setting tightened since the batch was accepted still holds.
 */
export function openBatchContainers(batch: BatchRecord, services: BatchServices): BatchContainers {
  // Clients are reused across a batch's documents: building a pipeline per document is waste.
  const key = `${batch.batchId}|${batch.sealedSourceUrl ?? batch.source.url}|${batch.sealedResultUrl ?? batch.resultUrl}`;
  let opened = recentlyOpened.get(key);
  if (!opened) {
    opened = open(batch, services);
    recentlyOpened.set(key, opened);
    if (recentlyOpened.size > 64) recentlyOpened.delete(recentlyOpened.keys().next().value!);
  }
  return opened;
}

const recentlyOpened = new Map<string, BatchContainers>();

function open(batch: BatchRecord, services: BatchServices): BatchContainers {
  const sourceLocation = locate(batch.sealedSourceUrl, batch.source.url, services, "source");
  const resultLocation = locate(batch.sealedResultUrl, batch.resultUrl, services, "resultContainerUrl");
  return {
    source: openContainer(sourceLocation, services.storage),
    sourceLocation,
    result: openContainer(resultLocation, services.storage),
    resultLocation,
  };
}

function locate(sealed: string | undefined, plain: string, services: BatchServices, target: string): ContainerLocation {
  if (sealed && !services.secrets) {
    throw new Error("DOCBATCH_ENCRYPTION_KEY is not set, so the stored SAS of this batch cannot be read");
  }
  const url = sealed ? services.secrets!.open(sealed) : plain;
  return parseContainerUrl(url, services.urlPolicy, target);
}

/** The document's path relative to the source prefix, which names its result. */
export function relativeSourcePath(batch: BatchRecord, name: string): string {
  if (batch.source.kind === "container" && batch.source.prefix && name.startsWith(batch.source.prefix)) {
    return name.slice(batch.source.prefix.length);
  }
  return name;
}
