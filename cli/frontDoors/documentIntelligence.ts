// The Document Intelligence front door, through the official REST client.
import DocumentIntelligence, { isUnexpected, paginate } from "@azure-rest/ai-document-intelligence";
import type { BatchView, FailedItem } from "../batchView.js";
import type { Connection } from "../connection.js";
import { ServiceError, UsageError } from "../exitCodes.js";

type Client = ReturnType<typeof DocumentIntelligence>;

export interface AnalyzeBatchBody {
  azureBlobSource: { containerUrl: string; prefix?: string };
  resultContainerUrl: string;
  resultPrefix?: string;
  overwriteExisting?: boolean;
}

export interface DocumentDetail {
  status: string;
  sourceUrl: string;
  resultUrl?: string;
  error?: { code?: string; message?: string; innererror?: { code?: string; message?: string } };
}

export interface DiBatchState {
  view: BatchView;
  details: DocumentDetail[];
  /** How long the service asks us to wait before the next poll. */
  retryAfterMs?: number;
}

interface OperationBody {
  resultId?: string;
  status: string;
  percentCompleted?: number;
  createdDateTime?: string;
  lastUpdatedDateTime?: string;
  error?: { code?: string; message?: string };
  result?: { succeededCount: number; failedCount: number; skippedCount: number; details?: DocumentDetail[] };
}

export class DocumentIntelligenceDoor {
  private readonly client: Client;

  constructor(connection: Connection) {
    this.client = DocumentIntelligence(connection.url, { key: connection.key }, { allowInsecureConnection: connection.url.startsWith("http:") });
  }

  async start(modelId: string, body: AnalyzeBatchBody): Promise<{ id: string }> {
    const response = await this.client.path("/documentModels/{modelId}:analyzeBatch", modelId).post({ contentType: "application/json", body });
    if (isUnexpected(response)) throw serviceError("analyzeBatch", response);
    const location = response.headers["operation-location"];
    const id = /analyzeBatchResults\/([^/?]+)/.exec(location ?? "")?.[1];
    if (!id) throw new ServiceError(`analyzeBatch answered ${response.status} without an Operation-Location naming the batch`, Number(response.status));
    return { id };
  }

  /** The batch, or undefined when this model has no batch with that id. */
  async get(modelId: string, id: string): Promise<DiBatchState | undefined> {
    const response = await this.client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", modelId, id).get();
    if (response.status === "404") return undefined;
    if (isUnexpected(response)) throw serviceError("status", response);
    const body = response.body as OperationBody;
    return { view: toView(modelId, body), details: body.result?.details ?? [], retryAfterMs: retryAfterMs(response.headers["retry-after"]) };
  }

  /** Fails before anything is uploaded when docbatch does not offer the model. */
  async requireModel(modelId: string): Promise<void> {
    const response = await this.client.path("/documentModels/{modelId}", modelId).get();
    if (response.status === "404") {
      throw new UsageError(`docbatch has no model '${modelId}' (it offers: ${(await this.models()).join(", ")}).`);
    }
    if (isUnexpected(response)) throw serviceError("get model", response);
  }

  async models(): Promise<string[]> {
    const response = await this.client.path("/documentModels").get();
    if (isUnexpected(response)) throw serviceError("list models", response);
    const ids: string[] = [];
    for await (const model of paginate(this.client, response)) ids.push(model.modelId);
    return ids;
  }

  /** Batches of every model, newest first, at most `limit` per model. */
  async list(limit: number): Promise<BatchView[]> {
    const views: BatchView[] = [];
    for (const modelId of await this.models()) {
      const response = await this.client.path("/documentModels/{modelId}/analyzeBatchResults", modelId).get();
      if (isUnexpected(response)) throw serviceError("list batches", response);
      let taken = 0;
      for await (const operation of paginate(this.client, response)) {
        views.push(toView(modelId, operation as OperationBody));
        if (++taken >= limit) break;
      }
    }
    return views;
  }

  /** Looks the id up under every model (the DI API scopes batches by model). */
  async find(id: string): Promise<{ modelId: string; state: DiBatchState } | undefined> {
    for (const modelId of await this.models()) {
      const state = await this.get(modelId, id);
      if (state) return { modelId, state };
    }
    return undefined;
  }

  /** DELETE on a running batch cancels it (on a finished one it would delete it: callers check first). */
  async cancel(modelId: string, id: string): Promise<void> {
    const response = await this.client.path("/documentModels/{modelId}/analyzeBatchResults/{resultId}", modelId, id).delete();
    if (isUnexpected(response)) throw serviceError("cancel", response);
  }
}

/** Failed documents with DI's most specific reason: the innererror when there is one. */
export function failedDocuments(details: DocumentDetail[], nameOf: (sourceUrl: string) => string): FailedItem[] {
  return details
    .filter((detail) => detail.status === "failed")
    .map((detail) => {
      const reason = detail.error?.innererror?.code ? detail.error.innererror : detail.error;
      return { name: nameOf(detail.sourceUrl), code: reason?.code ?? "failed", message: reason?.message ?? "no error given" };
    });
}

function describeError(error: DocumentDetail["error"]): string {
  if (!error) return "failed (no error given)";
  const code = error.innererror?.code ? `${error.code}/${error.innererror.code}` : error.code;
  const message = error.innererror?.message && error.innererror.message !== error.message ? `${error.message} ${error.innererror.message}` : error.message;
  return [code, message].filter(Boolean).join(": ");
}

function toView(modelId: string, body: OperationBody): BatchView {
  const outcome = body.status === "succeeded" ? "succeeded" : body.status === "failed" ? "failed" : body.status === "canceled" ? "canceled" : "running";
  return {
    id: body.resultId ?? "",
    frontDoor: "documentIntelligence",
    label: modelId,
    status: body.status,
    outcome,
    counts: {
      succeeded: body.result?.succeededCount ?? 0,
      failed: body.result?.failedCount ?? 0,
      skipped: body.result?.skippedCount ?? 0,
      // Every document has a row (and a detail) once the batch is listed.
      ...(body.result?.details?.length ? { total: body.result.details.length, canceled: body.result.details.filter((detail) => detail.status === "canceled").length } : {}),
    },
    percentCompleted: body.percentCompleted,
    createdAt: body.createdDateTime,
    updatedAt: body.lastUpdatedDateTime,
    ...(body.error ? { error: [body.error.code, body.error.message].filter(Boolean).join(": ") } : {}),
  };
}

function retryAfterMs(header: string | number | undefined): number | undefined {
  const seconds = Number(header);
  return header !== undefined && header !== "" && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function serviceError(what: string, response: { status: string; body: unknown }): ServiceError {
  const error = (response.body as { error?: DocumentDetail["error"] } | undefined)?.error;
  const detail = error ? describeError(error) : JSON.stringify(response.body);
  return new ServiceError(`Document Intelligence ${what} answered ${response.status}: ${detail}`, Number(response.status));
}
