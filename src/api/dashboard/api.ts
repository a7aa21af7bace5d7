import { Readable } from "node:stream";
import type { BatchRunner } from "../../engine/batches.js";
import type { BatchRecord, BatchSummary, ItemStatus } from "../../engine/model.js";
import { isFinalBatchStatus } from "../../engine/statusRules.js";
import type { AppServices } from "../../services/appServices.js";
import { requireApiKey } from "../http/apiKeyCheck.js";
import type { HttpProblem } from "../http/httpProblem.js";
import { serve, type ErrorRenderer } from "../http/serve.js";
import type { ApiRequest, ApiResponse } from "../http/types.js";
import { batchView, stateOf, type DashboardState } from "./batchView.js";
import { itemResult } from "./itemResult.js";
import { ITEM_STATUSES, itemsCsv, queryItems, settledTimeline } from "./items.js";
import { DASHBOARD_PAGE } from "./page.js";
import { redactSpec } from "./redactSpec.js";

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
const DEFAULT_ITEMS_PAGE = 50;
const MAX_ITEMS_PAGE = 500;
const STATES: readonly DashboardState[] = ["notStarted", "preparing", "processing", "finalizing", "canceling", "succeeded", "partial", "failed", "canceled", "expired"];
const ACTIONS = ["cancel", "items", "items.csv", "timeline"];

/** The page itself: static, carries no data (the data comes from the API with the key). */
export function dashboardPage(): ApiResponse {
  return {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // The key may arrive in the URL fragment: never send this URL on as a referrer.
      "referrer-policy": "no-referrer",
      "content-security-policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
    },
    body: DASHBOARD_PAGE,
  };
}

/**
 * Serves `/dashboard/api/{path}`: batches of every registered kind (filtered by kind and state),
 * one batch with the request that started it, its items (status filter, search, CSV), its
 * progress over time, cancel and delete.
 */
export function handleDashboardApi(request: ApiRequest, path: string, deps: DashboardApiDeps): Promise<ApiResponse> {
  return serve(request, { errors: dashboardErrors, logError: deps.logError }, async () => {
    const services = deps.services();
    requireApiKey(request.headers, services.settings.apiKeys);
    const query = new URL(request.url).searchParams;
    const segments = path.split("/").filter((segment) => segment.length > 0);
    const method = request.method.toUpperCase();
    const itemRoute = segments.length === 6 && segments[3] === "items" && segments[5] === "result";
    if (segments[0] !== "batches" || (segments.length > 4 && !itemRoute)) throw new DashboardError(404, "NotFound", `No dashboard API at /dashboard/api/${path}.`);
    if (segments.length === 1) {
      allow(method, ["GET"]);
      const kinds = services.kinds.names();
      const kind = oneOf(query, "kind", kinds);
      const state = oneOf(query, "state", STATES);
      const batches = (await listAll(services, kind ? [kind] : kinds)).filter((summary) => !state || stateOf(summary) === state);
      return { status: 200, jsonBody: { kinds, batches: batches.map(batchView) } };
    }
    if (segments.length === 2) throw new DashboardError(404, "NotFound", "Name a batch as /dashboard/api/batches/{kind}/{batchId}.");
    const [, kind, batchId, action, itemIndex] = segments;
    if (!services.kinds.get(kind)) throw new DashboardError(404, "NotFound", `No batch kind '${kind}'. Kinds: ${services.kinds.names().join(", ")}.`);
    if (action !== undefined && !ACTIONS.includes(action)) throw new DashboardError(404, "NotFound", `No '${action}' here; a batch has ${ACTIONS.join(", ")}.`);
    const batches = services.batches(deps.runner);
    const summary = await batches.summary(kind, batchId);
    if (!summary) throw new DashboardError(404, "NotFound", `No ${kind} batch '${batchId}'.`);

    if (itemRoute) {
      allow(method, ["GET"]);
      return { status: 200, jsonBody: await resultOf(services, summary.batch, itemIndex) };
    }
    switch (action) {
      case undefined:
        allow(method, ["GET", "DELETE"]);
        return method === "DELETE" ? remove(services, deps.runner, summary) : { status: 200, jsonBody: await detail(services, summary) };
      case "cancel": {
        allow(method, ["POST"]);
        await batches.requestCancel(kind, batchId);
        const after = await batches.summary(kind, batchId);
        if (!after) throw new DashboardError(404, "NotFound", `No ${kind} batch '${batchId}'.`);
        return { status: 200, jsonBody: batchView(after) };
      }
      case "items": {
        allow(method, ["GET"]);
        const from = integer(query, "from", 0, Number.MAX_SAFE_INTEGER);
        const limit = integer(query, "limit", 1, MAX_ITEMS_PAGE) ?? DEFAULT_ITEMS_PAGE;
        const search = query.get("search")?.trim() || undefined;
        const page = await queryItems(services.store, batchId, { statuses: statuses(query), search, from, limit });
        return { status: 200, jsonBody: page };
      }
      case "items.csv": {
        allow(method, ["GET"]);
        const wanted = statuses(query) ?? ["failed"];
        return {
          status: 200,
          headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${batchId}-${wanted.join("-")}.csv"`, "cache-control": "no-store" },
          body: Readable.from(itemsCsv(services.store, batchId, wanted)),
        };
      }
      default: {
        allow(method, ["GET"]);
        return { status: 200, jsonBody: await settledTimeline(services.store, batchId) };
      }
    }
  });
}

async function detail(services: AppServices, summary: BatchSummary) {
  const failed = await queryItems(services.store, summary.batch.batchId, { statuses: ["failed"], limit: FAILED_ITEMS_SHOWN });
  return { ...batchView(summary), request: redactSpec(summary.batch.spec), failedItems: failed.items };
}

/** An item's result where its kind keeps it; 404 for an index the batch does not have. */
async function resultOf(services: AppServices, batch: BatchRecord, indexText: string) {
  const index = Number(indexText);
  const item = /^\d{1,9}$/.test(indexText) ? await services.store.getItem(batch.batchId, index) : undefined;
  if (!item) throw new DashboardError(404, "NotFound", `Batch '${batch.batchId}' has no item ${indexText.slice(0, 20)}.`);
  const found = await itemResult(services, batch, item);
  return { index, name: item.name, status: item.status, ...(found.found ? { result: found.result } : { unavailable: found.reason }) };
}

/** Delete removes a finished batch from every view; a running one must be canceled first (the page asks for both). */
async function remove(services: AppServices, runner: BatchRunner, summary: BatchSummary): Promise<ApiResponse> {
  const { kind, batchId, status } = summary.batch;
  if (!isFinalBatchStatus(status)) throw new DashboardError(409, "Conflict", `Batch '${batchId}' is ${status}; cancel it and delete it once it has stopped.`);
  await services.batches(runner).delete(kind, batchId);
  return { status: 204 };
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new DashboardError(405, "MethodNotAllowed", `${method} is not supported here. Use ${methods.join(" or ")}.`, { allow: methods.join(", ") });
}

function oneOf<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  if (!allowed.includes(value as T)) throw new DashboardError(400, "InvalidRequest", `'${name}' must be one of ${allowed.join(", ")} (got '${value.slice(0, 50)}').`);
  return value as T;
}

function statuses(query: URLSearchParams): ItemStatus[] | undefined {
  const value = query.get("status");
  if (!value) return undefined;
  const wanted = value.split(",").map((status) => status.trim());
  const unknown = wanted.filter((status) => !ITEM_STATUSES.includes(status as ItemStatus));
  if (unknown.length > 0) throw new DashboardError(400, "InvalidRequest", `'status' takes a comma-separated list of ${ITEM_STATUSES.join(", ")} (got '${unknown.join(",").slice(0, 50)}').`);
  return wanted as ItemStatus[];
}

function integer(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw new DashboardError(400, "InvalidRequest", `'${name}' must be a whole number from ${min} to ${max} (got '${value.slice(0, 20)}').`);
  return number;
}

/** The newest batches of the given kinds with their counts, newest first. */
async function listAll(services: AppServices, kinds: readonly string[]): Promise<BatchSummary[]> {
  const summaries: BatchSummary[] = [];
  for (const kind of kinds) {
    const { batches } = await services.store.listBatches(kind, { maxPageSize: BATCHES_PER_KIND });
    const read = await Promise.all(batches.map((batch) => services.store.getSummary(kind, batch.batchId)));
    for (const summary of read) if (summary && !summary.batch.deleted) summaries.push(summary);
  }
  return summaries.sort((a, b) => b.batch.createdAt.localeCompare(a.batch.createdAt));
}
