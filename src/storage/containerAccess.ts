import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import {
  AnonymousCredential,
  ContainerClient,
  StorageRetryPolicyType,
  StorageSharedKeyCredential,
  type StoragePipelineOptions,
  type StorageRetryOptions,
} from "@azure/storage-blob";
import type { AppStorage } from "./appStorage.js";
import { StorageUrlError, type ContainerLocation } from "./containerUrl.js";

/**
 * Opens a checked container location with the right credential:
 * - a SAS is used as given, with no other credential;
 * - no SAS on the app's own connection-string account (Azurite locally): its shared key;
 * - otherwise the app's identity (token credential). parseContainerUrl has already refused
 *   SAS-less URLs for accounts outside the allow-list.
 */

export interface OpenContainerOptions {
  /** Overrides of the SDK retry policy (tests use fewer, shorter tries). */
  retry?: StorageRetryOptions;
  /** Request field named in errors, e.g. "resultContainerUrl". */
  target?: string;
}

/** A few exponential tries; the per-try timeout is the server-side `timeout` the SDK sends. */
export const defaultRetryOptions: StorageRetryOptions = {
  retryPolicyType: StorageRetryPolicyType.EXPONENTIAL,
  maxTries: 4,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 10_000,
  tryTimeoutInMs: 60_000,
};

export function openContainer(location: ContainerLocation, app: AppStorage, options: OpenContainerOptions = {}): ContainerClient {
  const pipelineOptions: StoragePipelineOptions = {
    retryOptions: { ...defaultRetryOptions, ...options.retry },
    userAgentOptions: { userAgentPrefix: "docbatch" },
  };
  if (location.sas) {
    return new ContainerClient(`${location.url}?${location.sas}`, new AnonymousCredential(), pipelineOptions);
  }
  if (app.sharedKey && sameService(location, app)) {
    const key = new StorageSharedKeyCredential(app.sharedKey.accountName, app.sharedKey.accountKey);
    return new ContainerClient(location.url, key, pipelineOptions);
  }
  if (location.serviceUrl.startsWith("http:")) {
    // Bearer tokens are never sent over plain http, and we hold no key for this loopback account.
    throw new StorageUrlError(
      "StorageAccountNotAllowed",
      `No credential for '${location.url}': over plain http only the app's own storage account (${app.blobEndpoint}) is reachable without a SAS; add a SAS token.`,
      options.target ?? "containerUrl",
    );
  }
  return new ContainerClient(location.url, app.credential ?? appIdentity(), pipelineOptions);
}

/** True when the location is on the app's own blob endpoint (same scheme, host, port and account). */
function sameService(location: ContainerLocation, app: AppStorage): boolean {
  return (
    normalizeEndpoint(location.serviceUrl) === normalizeEndpoint(app.blobEndpoint) &&
    location.accountName === app.sharedKey?.accountName.toLowerCase()
  );
}

function normalizeEndpoint(endpoint: string): string {
  try {
    return new URL(endpoint).href.replace(/\/+$/, "").toLowerCase();
  } catch {
    return endpoint;
  }
}

// One credential for the process: it caches tokens, so building one per container would refetch them.
let identity: TokenCredential | undefined;
function appIdentity(): TokenCredential {
  identity ??= new DefaultAzureCredential({ managedIdentityClientId: process.env.AZURE_CLIENT_ID || undefined });
  return identity;
}
