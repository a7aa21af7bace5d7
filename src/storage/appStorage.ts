import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { BlobServiceClient, StorageSharedKeyCredential, type StoragePipelineOptions } from "@azure/storage-blob";
import { AzureNamedKeyCredential, RestError, TableClient, type TableServiceClientOptions } from "@azure/data-tables";

/**
 * The app's own storage account (status tables, work lists), found the way the Functions host
 * finds it: the `AzureWebJobsStorage` connection string locally, identity-based
 * `AzureWebJobsStorage__*Uri` settings in Azure.
 */
export interface AppStorage {
  accountName: string;
  blobEndpoint: string;
  tableEndpoint: string;
  blobService: BlobServiceClient;
  table(name: string): TableClient;
  /** Shared-key credential when a connection string is used (Azurite), for SAS-less access. */
  sharedKey?: { accountName: string; accountKey: string };
  credential?: TokenCredential;
}

export function parseConnectionString(connectionString: string): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const segment of connectionString.split(";")) {
    const at = segment.indexOf("=");
    if (at > 0) parts[segment.slice(0, at).trim()] = segment.slice(at + 1).trim();
  }
  return parts;
}

const DEVELOPMENT_ACCOUNT: Record<string, string> = {
  AccountName: "devstoreaccount1",
  AccountKey: "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
  BlobEndpoint: "http://127.0.0.1:10000/devstoreaccount1",
  TableEndpoint: "http://127.0.0.1:10002/devstoreaccount1",
};

export interface AppStorageOptions {
  /**
   * For calls a caller waits on (the front doors, /health): each try is cut at a short timeout
   * and retried once, so an outage answers 503 within seconds instead of after the SDKs' retry
   * chains. Activities and timers keep the SDKs' patient defaults.
   */
  requestPath?: boolean;
}

/** Per try, and the one retry after it, on the request path. */
const REQUEST_PATH_TRY_TIMEOUT_MS = 2_000;
const REQUEST_PATH_RETRY = { maxRetries: 1, retryDelayInMs: 200, maxRetryDelayInMs: 500 };

function clientOptions(options: AppStorageOptions): { table: TableServiceClientOptions; blob: StoragePipelineOptions } {
  if (!options.requestPath) return { table: {}, blob: {} };
  return {
    table: {
      retryOptions: REQUEST_PATH_RETRY,
      additionalPolicies: [
        {
          position: "perRetry",
          policy: {
            name: "docbatchTryTimeout",
            sendRequest: async (request, next) => {
              request.timeout ||= REQUEST_PATH_TRY_TIMEOUT_MS;
              try {
                return await next(request);
              } catch (error) {
                // A try cut at its timeout surfaces as AbortError, which the retry policy gives up
                // on; as ETIMEDOUT it is retried once like any other network failure.
                if ((error as Error)?.name !== "AbortError" || request.abortSignal?.aborted) throw error;
                throw new RestError(`Table storage did not answer within ${request.timeout} ms`, { code: "ETIMEDOUT", request });
              }
            },
          },
        },
      ],
    },
    blob: { retryOptions: { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 500, tryTimeoutInMs: REQUEST_PATH_TRY_TIMEOUT_MS } },
  };
}

export function createAppStorage(env: NodeJS.ProcessEnv = process.env, options: AppStorageOptions = {}): AppStorage {
  const clients = clientOptions(options);
  const connectionString = env.AzureWebJobsStorage;
  if (connectionString) {
    const parts = connectionString.trim() === "UseDevelopmentStorage=true" ? DEVELOPMENT_ACCOUNT : parseConnectionString(connectionString);
    const accountName = parts.AccountName;
    const accountKey = parts.AccountKey;
    if (!accountName || !accountKey) throw new Error("AzureWebJobsStorage must name AccountName and AccountKey");
    const suffix = parts.EndpointSuffix ?? "core.windows.net";
    const protocol = parts.DefaultEndpointsProtocol ?? "https";
    const blobEndpoint = trimSlash(parts.BlobEndpoint ?? `${protocol}://${accountName}.blob.${suffix}`);
    const tableEndpoint = trimSlash(parts.TableEndpoint ?? `${protocol}://${accountName}.table.${suffix}`);
    const blobCredential = new StorageSharedKeyCredential(accountName, accountKey);
    const tableCredential = new AzureNamedKeyCredential(accountName, accountKey);
    const allowInsecureConnection = tableEndpoint.startsWith("http:");
    return {
      accountName,
      blobEndpoint,
      tableEndpoint,
      blobService: new BlobServiceClient(blobEndpoint, blobCredential, clients.blob),
      table: (name) => new TableClient(tableEndpoint, name, tableCredential, { ...clients.table, allowInsecureConnection }),
      sharedKey: { accountName, accountKey },
    };
  }
  const blobEndpoint = env.AzureWebJobsStorage__blobServiceUri;
  const tableEndpoint = env.AzureWebJobsStorage__tableServiceUri;
  if (!blobEndpoint || !tableEndpoint) {
    throw new Error("Set AzureWebJobsStorage, or AzureWebJobsStorage__blobServiceUri and AzureWebJobsStorage__tableServiceUri");
  }
  const credential = new DefaultAzureCredential({
    managedIdentityClientId: env.AzureWebJobsStorage__clientId ?? env.AZURE_CLIENT_ID,
  });
  return {
    accountName: new URL(blobEndpoint).hostname.split(".")[0],
    blobEndpoint: trimSlash(blobEndpoint),
    tableEndpoint: trimSlash(tableEndpoint),
    blobService: new BlobServiceClient(blobEndpoint, credential, clients.blob),
    table: (name) => new TableClient(trimSlash(tableEndpoint), name, credential, clients.table),
    credential,
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
