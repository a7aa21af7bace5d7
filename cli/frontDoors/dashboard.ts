// docbatch's own dashboard API: what the front doors' wire formats cannot say (DocuDevs' upload
// batches have no cancel, and count canceled documents as failed), and the item errors with their
// codes in one shape.
import type { Connection } from "../connection.js";
import type { FailedItem, ItemCounts } from "../batchView.js";
import { ServiceError } from "../exitCodes.js";

/** The fields of a dashboard batch the CLI reads (src/api/dashboard/batchView.ts). */
export interface DashboardBatch {
  batchId: string;
  state: string;
  itemCount: number | null;
  counts: Required<Omit<ItemCounts, "total">>;
  updatedAt: string;
}

interface DashboardItem {
  index: number;
  name: string;
  error?: { code: string; message: string; reason: { code: string; message: string } };
}

/** Pages of failed items read at most (500 each). */
const MAX_FAILED_PAGES = 20;

export class DashboardApi {
  constructor(private readonly connection: Connection) {}

  async cancel(kind: string, batchId: string): Promise<void> {
    await this.call("cancel", "POST", `${batchPath(kind, batchId)}/cancel`);
  }

  /** The batch as docbatch itself sees it, or undefined when there is none. */
  async batch(kind: string, batchId: string): Promise<DashboardBatch | undefined> {
    return this.call<DashboardBatch>("status", "GET", batchPath(kind, batchId), { notFound: undefined });
  }

  /** The newest batches of one kind. */
  async batches(kind: string): Promise<DashboardBatch[]> {
    return (await this.call<{ batches: DashboardBatch[] }>("list", "GET", `batches?kind=${encodeURIComponent(kind)}`)).batches;
  }

  /** The failed items with their most specific error (DI: the innererror) and their index in the batch. */
  async failedItems(kind: string, batchId: string): Promise<(FailedItem & { index: number })[]> {
    const failed: (FailedItem & { index: number })[] = [];
    let from: number | undefined = 0;
    for (let page = 0; page < MAX_FAILED_PAGES && from !== undefined; page++) {
      const answer: { items: DashboardItem[]; next?: number } = await this.call("failed items", "GET", `${batchPath(kind, batchId)}/items?status=failed&limit=500&from=${from}`);
      for (const item of answer.items) failed.push({ index: item.index, name: item.name, code: item.error?.reason.code ?? "failed", message: item.error?.reason.message ?? "" });
      from = answer.next;
    }
    return failed;
  }

  private async call<T>(what: string, method: string, path: string, options: { notFound?: T } = {}): Promise<T> {
    const response = await fetch(`${this.connection.url}/dashboard/api/${path}`, { method, headers: { "api-key": this.connection.key } });
    if (response.status === 404 && "notFound" in options) {
      await response.body?.cancel();
      return options.notFound as T;
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
      } catch {
        // Not the dashboard's JSON error: the text as it came.
      }
      throw new ServiceError(`${what} answered ${response.status}: ${message}`, response.status);
    }
    return JSON.parse(text) as T;
  }
}

function batchPath(kind: string, batchId: string): string {
  return `batches/${encodeURIComponent(kind)}/${encodeURIComponent(batchId)}`;
}
