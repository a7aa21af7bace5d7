import type { OpenApiPart } from "./document.js";
import { json, ref } from "./helpers.js";

const error = {
  type: "object",
  required: ["error"],
  properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } } },
};
const reason = { type: "object", required: ["code", "message"], additionalProperties: false, properties: { code: { type: "string" }, message: { type: "string" } } };
const batchError = {
  type: "object",
  required: ["code", "message", "reason"],
  additionalProperties: false,
  description: "`reason` is the most specific cause the kind recorded (DI: `innererror`); `problems` the first per-line problems of a refused input file, `problemCount` how many there were.",
  properties: {
    code: { type: "string" },
    message: { type: "string" },
    reason: ref("DashboardErrorReason"),
    problems: { type: "array", maxItems: 20, items: { type: "object", required: ["code", "message", "line"], properties: { code: { type: "string" }, message: { type: "string" }, line: { type: ["integer", "null"] } } } },
    problemCount: { type: "integer", minimum: 1 },
  },
};
const itemError = { type: "object", required: ["code", "message", "reason"], additionalProperties: false, properties: { code: { type: "string" }, message: { type: "string" }, reason: ref("DashboardErrorReason") } };
const itemStatus = { enum: ["notStarted", "running", "succeeded", "failed", "skipped", "canceled"] };
const item = {
  type: "object",
  required: ["index", "name", "status", "updatedAt"],
  additionalProperties: false,
  properties: { index: { type: "integer", minimum: 0 }, name: { type: "string" }, status: itemStatus, updatedAt: { type: "string", format: "date-time" }, error: ref("DashboardItemError") },
};
const counts = {
  type: "object",
  required: ["succeeded", "failed", "skipped", "canceled"],
  properties: Object.fromEntries(["succeeded", "failed", "skipped", "canceled"].map((name) => [name, { type: "integer", minimum: 0 }])),
};
const states = ["notStarted", "preparing", "processing", "finalizing", "canceling", "succeeded", "partial", "failed", "canceled", "expired"];
const batchProperties = {
  kind: { type: "string" },
  batchId: { type: "string" },
  status: { enum: ["notStarted", "preparing", "processing", "finalizing", "succeeded", "failed", "canceled", "expired"] },
  state: { enum: states, description: "`status` as the dashboard shows it: `partial` = succeeded with failed items, `canceling` = cancel asked, not yet stopped." },
  cancelRequested: { type: "boolean" },
  createdAt: { type: "string", format: "date-time" },
  startedAt: { type: "string", format: "date-time" },
  updatedAt: { type: "string", format: "date-time", description: "When the batch or one of its items last changed." },
  completedAt: { type: "string", format: "date-time" },
  itemCount: { type: ["integer", "null"], minimum: 0 },
  counts: ref("DashboardItemCounts"),
  settled: { type: "integer", minimum: 0 },
  running: { type: "integer", minimum: 0 },
  labels: { type: "object", additionalProperties: { type: "string" } },
  error: ref("DashboardBatchError"),
};
const batchRequired = ["kind", "batchId", "status", "state", "cancelRequested", "createdAt", "updatedAt", "itemCount", "counts", "settled", "running", "labels"];
const batch = { type: "object", required: batchRequired, additionalProperties: false, properties: batchProperties };
const batchDetail = {
  type: "object",
  required: [...batchRequired, "request", "failedItems"],
  additionalProperties: false,
  properties: {
    ...batchProperties,
    request: { description: "The request that started the batch, as the kind stored it, with secrets (sealed values, keys, URL queries such as a SAS) removed." },
    failedItems: { type: "array", maxItems: 100, items: ref("DashboardItem") },
  },
};
const errors = {
  "400": { description: "A query parameter out of range", ...json(ref("DashboardError")) },
  "401": { description: "No valid API key", ...json(ref("DashboardError")) },
  "404": { description: "No such kind or batch", ...json(ref("DashboardError")) },
  "405": { description: "Method not allowed", ...json(ref("DashboardError")) },
  "503": { description: "Storage not answering", ...json(ref("DashboardError")) },
};
const batchParameters = [
  { name: "kind", in: "path", required: true, schema: { type: "string" } },
  { name: "batchId", in: "path", required: true, schema: { type: "string" } },
];
const statusParameter = { name: "status", in: "query", schema: { type: "string" }, description: "Comma-separated item statuses to keep." };
const security = [{ apiKey: [] }];

/** The dashboard page and its JSON API (src/api/dashboard). */
export const dashboardOpenApi: OpenApiPart = {
  paths: {
    "/dashboard": { get: { tags: ["dashboard"], summary: "The dashboard page (HTML, no data; the key may come in the URL fragment `#key=`)", responses: { "200": { description: "The page", content: { "text/html": { schema: { type: "string" } } } } } } },
    "/dashboard/api/batches": {
      get: {
        tags: ["dashboard"], summary: "Newest batches of every registered kind", security,
        parameters: [
          { name: "kind", in: "query", schema: { type: "string" }, description: "Only this kind's batches." },
          { name: "state", in: "query", schema: { enum: states }, description: "Only batches in this state." },
        ],
        responses: { "200": { description: "Batches", ...json({ type: "object", required: ["kinds", "batches"], properties: { kinds: { type: "array", items: { type: "string" } }, batches: { type: "array", items: ref("DashboardBatch") } } }) }, ...errors },
      },
    },
    "/dashboard/api/batches/{kind}/{batchId}": {
      get: {
        tags: ["dashboard"], summary: "One batch, the request that started it and its first failed items", security, parameters: batchParameters,
        responses: { "200": { description: "The batch", ...json(ref("DashboardBatchDetail")) }, ...errors },
      },
      delete: {
        tags: ["dashboard"], summary: "Delete a finished batch (a running one answers 409: cancel it first)", security, parameters: batchParameters,
        responses: { "204": { description: "Deleted" }, "409": { description: "The batch is still running", ...json(ref("DashboardError")) }, ...errors },
      },
    },
    "/dashboard/api/batches/{kind}/{batchId}/items": {
      get: {
        tags: ["dashboard"], summary: "A page of the batch's items in index order", security,
        parameters: [
          ...batchParameters,
          statusParameter,
          { name: "search", in: "query", schema: { type: "string" }, description: "Keep items whose name (path, custom_id) contains this, ignoring case." },
          { name: "from", in: "query", schema: { type: "integer", minimum: 0 }, description: "Start at this index: the `next` of the previous page." },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 500 } },
        ],
        responses: { "200": { description: "Items", ...json({ type: "object", required: ["items"], additionalProperties: false, properties: { items: { type: "array", items: ref("DashboardItem") }, next: { type: "integer", minimum: 0 } } }) }, ...errors },
      },
    },
    "/dashboard/api/batches/{kind}/{batchId}/items/{index}/result": {
      get: {
        tags: ["dashboard"], summary: "One item's result, read where its kind keeps it (DI: its .ocr.json; upload batches: the extraction; OpenAI: the output or error line)", security,
        parameters: [...batchParameters, { name: "index", in: "path", required: true, schema: { type: "integer", minimum: 0 } }],
        responses: {
          "200": {
            description: "`result`, or `unavailable` saying why there is none (not succeeded, removed, too large)",
            ...json({ type: "object", required: ["index", "name", "status"], additionalProperties: false, properties: { index: { type: "integer" }, name: { type: "string" }, status: itemStatus, result: {}, unavailable: { type: "string" } } }),
          },
          ...errors,
        },
      },
    },
    "/dashboard/api/batches/{kind}/{batchId}/items.csv": {
      get: {
        tags: ["dashboard"], summary: "The batch's items as CSV (default: the failed ones)", security, parameters: [...batchParameters, statusParameter],
        responses: { "200": { description: "index,name,status,code,message,reason_code,reason_message,updated_at", content: { "text/csv": { schema: { type: "string" } } } }, ...errors },
      },
    },
    "/dashboard/api/batches/{kind}/{batchId}/timeline": {
      get: {
        tags: ["dashboard"], summary: "Items settled over time (cumulative), for the progress chart", security, parameters: batchParameters,
        responses: {
          "200": {
            description: "Up to 60 points; `complete` is false when the batch had more settled items than were read",
            ...json({ type: "object", required: ["points", "complete"], additionalProperties: false, properties: { complete: { type: "boolean" }, points: { type: "array", items: { type: "object", required: ["at", "settled"], properties: { at: { type: "string", format: "date-time" }, settled: { type: "integer", minimum: 0 } } } } } }),
          },
          ...errors,
        },
      },
    },
    "/dashboard/api/batches/{kind}/{batchId}/cancel": {
      post: { tags: ["dashboard"], summary: "Ask a batch to stop", security, parameters: batchParameters, responses: { "200": { description: "The batch as stored", ...json(ref("DashboardBatch")) }, ...errors } },
    },
  },
  schemas: {
    DashboardBatch: batch,
    DashboardBatchDetail: batchDetail,
    DashboardItem: item,
    DashboardItemCounts: counts,
    DashboardBatchError: batchError,
    DashboardItemError: itemError,
    DashboardErrorReason: reason,
    DashboardError: error,
  },
};
