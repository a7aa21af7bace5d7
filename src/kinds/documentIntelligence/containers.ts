import type { ContainerClient } from "@azure/storage-blob";
import type { AppStorage } from "../../storage/appStorage.js";
import { openContainer } from "../../storage/containerAccess.js";
import { parseContainerUrl, type ContainerLocation, type StorageUrlPolicy } from "../../storage/containerUrl.js";
import type { SecretBox } from "../../storage/secretBox.js";
import type { DocumentIntelligenceSpec } from "./spec.js";

export interface BatchContainers {
  source: ContainerClient;
  sourceLocation: ContainerLocation;
  result: ContainerClient;
  resultLocation: ContainerLocation;
}

export interface ContainerServices {
  storage: AppStorage;
  urlPolicy: StorageUrlPolicy;
  /** Opens sealed SAS URLs; undefined when no encryption key is configured. */
  secrets?: SecretBox;
}

/**
 * Opens a stored batch's source and result containers: the sealed URL (with its SAS) when
 * there is one, else the SAS-free URL with the app's identity. The URL policy is applied
 * again, so a setting tightened since the batch was accepted still holds.
 */
export function openBatchContainers(batchId: string, spec: DocumentIntelligenceSpec, services: ContainerServices): BatchContainers {
  // Clients are reused across a batch's documents: building a pipeline per document is waste.
  const key = `${batchId}|${spec.sealedSourceUrl ?? spec.source.url}|${spec.sealedResultUrl ?? spec.resultUrl}`;
  let opened = recentlyOpened.get(key);
  if (!opened) {
    opened = open(spec, services);
    recentlyOpened.set(key, opened);
    if (recentlyOpened.size > 64) recentlyOpened.delete(recentlyOpened.keys().next().value!);
  }
  return opened;
}

const recentlyOpened = new Map<string, BatchContainers>();

function open(spec: DocumentIntelligenceSpec, services: ContainerServices): BatchContainers {
  const sourceLocation = locate(spec.sealedSourceUrl, spec.source.url, services, "source");
  const resultLocation = locate(spec.sealedResultUrl, spec.resultUrl, services, "resultContainerUrl");
  return {
    source: openContainer(sourceLocation, services.storage),
    sourceLocation,
    result: openContainer(resultLocation, services.storage),
    resultLocation,
  };
}

function locate(sealed: string | undefined, plain: string, services: ContainerServices, target: string): ContainerLocation {
  if (sealed && !services.secrets) {
    throw new Error("DOCBATCH_ENCRYPTION_KEY is not set, so the stored SAS of this batch cannot be read");
  }
  const url = sealed ? services.secrets!.open(sealed) : plain;
  return parseContainerUrl(url, services.urlPolicy, target);
}
