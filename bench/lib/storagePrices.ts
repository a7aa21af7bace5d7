import type { StorageRequest } from "./storageRequestCounter.js";

/*
 * Azure Storage list prices the cost tables use: pay-as-you-go, Standard general-purpose v2, LRS,
 * East US, USD, as azure.microsoft.com/pricing/details/storage/blobs/ and .../storage/tables/
 * listed them in 2024 (not re-read from this machine, which reaches package registries only:
 * check the pages before quoting a figure). Operation types follow "Map each REST operation to a
 * price" (learn.microsoft.com/azure/storage/blobs/map-rest-apis-transaction-categories).
 */
export const STORAGE_PRICES = {
  asOf: "2024 list prices (East US, LRS, hot tier, pay-as-you-go)",
  /** Table Storage: every request, an entity-group transaction included, is one billed transaction. */
  tablePer10k: 0.00036,
  blobWritePer10k: 0.05,
  blobListAndCreateContainerPer10k: 0.05,
  blobReadPer10k: 0.004,
  blobOtherPer10k: 0.004,
} as const;

const BLOB_WRITES = new Set(["PutBlob", "PutBlock", "PutBlockList", "AppendBlock", "CopyBlob", "SetBlobMetadata", "SetBlobProperties", "SetBlobTags", "SetBlobTier"]);
const BLOB_LIST_AND_CREATE = new Set(["ListBlobs", "ListContainers", "CreateContainer"]);
const BLOB_READS = new Set(["GetBlob"]);
const BLOB_FREE = new Set(["DeleteBlob", "DeleteContainer"]);

/** What one request costs at STORAGE_PRICES, in USD. Queue requests are priced as "other". */
export function priceOf(request: Pick<StorageRequest, "service" | "operation">): number {
  const per10k =
    request.service === "table"
      ? STORAGE_PRICES.tablePer10k
      : BLOB_FREE.has(request.operation)
        ? 0
        : BLOB_WRITES.has(request.operation)
          ? STORAGE_PRICES.blobWritePer10k
          : BLOB_LIST_AND_CREATE.has(request.operation)
            ? STORAGE_PRICES.blobListAndCreateContainerPer10k
            : BLOB_READS.has(request.operation)
              ? STORAGE_PRICES.blobReadPer10k
              : STORAGE_PRICES.blobOtherPer10k;
  return per10k / 10_000;
}
