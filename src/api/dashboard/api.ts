import type { BatchRunner } from "../../engine/batches.js";
import type { BatchSummary } from "../../engine/model.js";
import type { AppServices } from "../../services/appServices.js";
import { requireApiKey } from "../http/apiKeyCheck.js";
import type { HttpProblem } from "../http/httpProblem.js";
import { serve, type ErrorRenderer } from "../http/serve.js";
import type { ApiRequest, ApiResponse } from "../http/types.js";
import { DASHBOARD_PAGE } from "./page.js";

export interface DashboardApiDeps {
  services: () => AppServices;
  runner: BatchRunner;
  logError?: (message: string, error: unknown) => void;
}

/** The dashboard API's own errors: `{ error: { code, message } }`. */
class DashboardError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

const dashboardErrors: ErrorRenderer = {
  own: (error) => (error instanceof DashboardError ? render(error.status, error.code, error.message, error.headers) : undefined),
  problem: (problem: HttpProblem) => render(problem.status, problem.code, problem.message, problem.headers),
};

function render(status: number, code: string, message: string, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers, jsonBody: { error: { code, message } } };
}

const BATCHES_PER_KIND = 50;
const FAILED_ITEMS_SHOWN = 100;

/** The page itself: static, carries no data (the data comes from the API with the key). */
export function dashboardPage(): ApiResponse {
  return {
    status: 200,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'" },
    body: DASHBOARD_PAGE,
  };
}

/** Serves `/dashboard/api/{path}`: batches of every registered kind, one batch's failed items, cancel. */
export function handleDashboardApi(request: ApiRequest, path: string, deps: DashboardApiDeps): Promise<ApiResponse> {
  return serve(request, { errors: dashboardErrors, logError: deps.logError }, async () => {
    const services = deps.services();
    requireApiKey(request.headers, services.settings.apiKeys);
    const segments = path.split("/").filter((segment) => segment.length > 0);
    const method = request.method.toUpperCase();
    if (segments[0] !== "batches" || segments.length > 4) throw new DashboardError(404, "NotFound", `No dashboard API at /dashboard/api/${path}.`);
    if (segments.length === 1) {
      allow(method, ["GET"]);
      return { status: 200, jsonBody: { kinds: services.kinds.names(), batches: await listAll(services) } };
    }
    if (segments.length === 2) throw new DashboardError(404, "NotFound", "Name a batch as /dashboard/api/batches/{kind}/{batchId}.");
    const [, kind, batchId, action] = segments;
    if (!services.kinds.get(kind)) throw new DashboardError(404, "NotFound", `No batch kind '${kind}'. Kinds: ${services.kinds.names().join(", ")}.`);
    if (action === undefined) {
      allow(method, ["GET"]);
      const summary = await services.batches(deps.runner).summary(kind, batchId);
      if (!summary) throw notFound(kind, batchId);
      const failedItems = [];
      for await (const page of services.store.listItems(batchId, { statuses: ["failed"], pageSize: FAILED_ITEMS_SHOWN })) {
        failedItems.push(...page.map((item) => ({ index: item.index, name: item.name, updatedAt: item.updatedAt, error: item.error })));
        if (failedItems.length >= FAILED_ITEMS_SHOWN) break;
      }
      return { status: 200, jsonBody: { ...view(summary), failedItems: failedItems.slice(0, FAILED_ITEMS_SHOWN) } };
    }
    if (action !== "cancel") throw new DashboardError(404, "NotFound", `No action '${action}'; the only one is 'cancel'.`);
    allow(method, ["POST"]);
    const batch = await services.batches(deps.runner).requestCancel(kind, batchId);
    const summary = batch && (await services.batches(deps.runner).summary(kind, batchId));
    if (!summary) throw notFound(kind, batchId);
    return { status: 200, jsonBody: view(summary) };
  });
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new DashboardError(405, "MethodNotAllowed", `${method} is not supported here. Use ${methods.join(" or ")}.`, { allow: methods.join(", ") });
}

function notFound(kind: string, batchId: string): DashboardError {
  return new DashboardError(404, "NotFound", `No ${kind} batch '${batchId}'.`);
}

/** The newest batches of every kind the registry names, with their counts, newest first. */
async function listAll(services: AppServices) {
  const summaries: BatchSummary[] = [];
  for (const kind of services.kinds.names()) {
    const { batches } = await services.store.listBatches(kind, { maxPageSize: BATCHES_PER_KIND });
    const read = await Promise.all(batches.map((batch) => services.store.getSummary(kind, batch.batchId)));
    for (const summary of read) if (summary && !summary.batch.deleted) summaries.push(summary);
  }
  return summaries.map(view).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

function view({ batch, counts }: BatchSummary) {
  return {
    kind: batch.kind,
    batchId: batch.batchId,
    status: batch.status,
    cancelRequested: batch.cancelRequested,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
    ...(batch.completedAt ? { completedAt: batch.completedAt } : {}),
    itemCount: batch.itemCount ?? null,
    counts,
    ...(batch.error ? { error: batch.error } : {}),
  };
}
