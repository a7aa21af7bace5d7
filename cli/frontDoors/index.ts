// The front doors `list`, `status` and `cancel` look through, each behind one small interface.
import type { BatchView, FailedItem, FrontDoorName } from "../batchView.js";
import type { Connection } from "../connection.js";
import { DocumentIntelligenceDoor, failedDocuments } from "./documentIntelligence.js";
import { failedUploads, jobView, UploadBatchDoor, uploadOutcomes } from "./uploadBatch.js";

export interface FoundBatch {
  view: BatchView;
  failed: FailedItem[];
  cancel(): Promise<void>;
}

export interface FrontDoorClient {
  name: FrontDoorName;
  /** Newest batches, at most `limit`. */
  list(limit: number): Promise<BatchView[]>;
  find(id: string): Promise<FoundBatch | undefined>;
}

export function frontDoors(connection: Connection): FrontDoorClient[] {
  return [documentIntelligence(connection), uploadBatch(connection)];
}

function uploadBatch(connection: Connection): FrontDoorClient {
  const door = new UploadBatchDoor(connection);
  return {
    name: "uploadBatch",
    list: (limit) => door.list(limit),
    find: async (id) => {
      const job = await door.status(id);
      if (!job) return undefined;
      return {
        view: jobView(job),
        failed: job.failedDocs > 0 ? failedUploads(uploadOutcomes(await door.results(id))) : [],
        cancel: () => door.cancel(id),
      };
    },
  };
}

function documentIntelligence(connection: Connection): FrontDoorClient {
  const door = new DocumentIntelligenceDoor(connection);
  return {
    name: "documentIntelligence",
    list: (limit) => door.list(limit),
    find: async (id) => {
      const found = await door.find(id);
      if (!found) return undefined;
      return {
        view: found.state.view,
        failed: failedDocuments(found.state.details, blobPathOf),
        cancel: () => door.cancel(found.modelId, id),
      };
    },
  };
}

/** A blob's name from its URL: after the container (and, on Azurite's path-style URLs, the account). */
function blobPathOf(blobUrl: string): string {
  const url = new URL(blobUrl);
  const pathStyle = url.port !== "" || /^(\d+\.\d+\.\d+\.\d+|localhost|\[.*\])$/.test(url.hostname);
  const segments = url.pathname.split("/").filter(Boolean);
  return decodeURIComponent(segments.slice(pathStyle ? 2 : 1).join("/")) || blobUrl;
}
