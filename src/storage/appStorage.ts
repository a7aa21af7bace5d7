import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { AzureNamedKeyCredential, TableClient } from "@azure/data-tables";

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

export function createAppStorage(env: NodeJS.ProcessEnv = process.env): AppStorage {
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
      blobService: new BlobServiceClient(blobEndpoint, blobCredential),
      table: (name) => new TableClient(tableEndpoint, name, tableCredential, { allowInsecureConnection }),
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
    blobService: new BlobServiceClient(blobEndpoint, credential),
    table: (name) => new TableClient(trimSlash(tableEndpoint), name, credential),
    credential,
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
