// The front doors `list`, `status` and `cancel` look through, each behind one small interface.
import type { BatchView, FailedItem, FrontDoorName } from "../batchView.js";
import type { Connection } from "../connection.js";
import { DocumentIntelligenceDoor, failedDocuments } from "./documentIntelligence.js";
import { batchView, OpenAiBatchDoor } from "./openai.js";
import { UploadBatchDoor } from "./uploadBatch.js";

export interface FoundBatch {
  view: BatchView;
  failed: FailedItem[];
  cancel(): Promise<void>;
}

export interface FrontDoorClient {
  name: FrontDoorName;
  /** Newest batches, at most `limit`. */
  list(limit: number): Promise<BatchView[]>;
  /** Whether an id has this front door's form (DI and upload batches: UUIDs; OpenAI: batch_...). */
  claims(id: string): boolean;
  find(id: string): Promise<FoundBatch | undefined>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function frontDoors(connection: Connection): FrontDoorClient[] {
  return [documentIntelligence(connection), uploadBatch(connection), openAi(connection)];
}

function openAi(connection: Connection): FrontDoorClient {
  const door = new OpenAiBatchDoor(connection);
  return {
    name: "openai",
    list: (limit) => door.list(limit),
    claims: (id) => OpenAiBatchDoor.claims(id),
    find: async (id) => {
      const batch = await door.get(id);
      if (!batch) return undefined;
      return { view: batchView(batch), failed: await door.failedLines(batch), cancel: () => door.cancel(id) };
    },
  };
}

function uploadBatch(connection: Connection): FrontDoorClient {
  const door = new UploadBatchDoor(connection);
  return {
    name: "uploadBatch",
    list: (limit) => door.list(limit),
    claims: (id) => UUID.test(id),
    find: async (id) => {
      const view = await door.view(id);
      if (!view) return undefined;
      return { view, failed: view.counts.failed > 0 ? await door.failed(id) : [], cancel: () => door.cancel(id) };
    },
  };
}

function documentIntelligence(connection: Connection): FrontDoorClient {
  const door = new DocumentIntelligenceDoor(connection);
  return {
    name: "documentIntelligence",
    list: (limit) => door.list(limit),
    claims: (id) => UUID.test(id),
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
