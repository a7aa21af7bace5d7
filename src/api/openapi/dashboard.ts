import type { OpenApiPart } from "./document.js";
import { json, ref } from "./helpers.js";

const error = {
  type: "object",
  required: ["error"],
  properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } } },
};
const engineError = { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } };
const counts = {
  type: "object",
  required: ["succeeded", "failed", "skipped", "canceled"],
  properties: Object.fromEntries(["succeeded", "failed", "skipped", "canceled"].map((name) => [name, { type: "integer", minimum: 0 }])),
};
const batch = {
  type: "object",
  required: ["kind", "batchId", "status", "cancelRequested", "createdAt", "updatedAt", "itemCount", "counts"],
  additionalProperties: false,
  properties: {
    kind: { type: "string" },
    batchId: { type: "string" },
    status: { enum: ["notStarted", "preparing", "processing", "finalizing", "succeeded", "failed", "canceled", "expired"] },
    cancelRequested: { type: "boolean" },
    createdAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
    completedAt: { type: "string", format: "date-time" },
    itemCount: { type: ["integer", "null"], minimum: 0 },
    counts: { $ref: "#/components/schemas/DashboardItemCounts" },
    error: { $ref: "#/components/schemas/DashboardEngineError" },
  },
};
const errors = {
  "401": { description: "No valid API key", ...json(ref("DashboardError")) },
  "404": { description: "No such kind or batch", ...json(ref("DashboardError")) },
  "405": { description: "Method not allowed", ...json(ref("DashboardError")) },
  "503": { description: "Storage not answering", ...json(ref("DashboardError")) },
};
const batchParameters = [
  { name: "kind", in: "path", required: true, schema: { type: "string" } },
  { name: "batchId", in: "path", required: true, schema: { type: "string" } },
];
const security = [{ apiKey: [] }];

/** The dashboard page and its JSON API (src/api/dashboard). */
export const dashboardOpenApi: OpenApiPart = {
  paths: {
    "/dashboard": { get: { tags: ["dashboard"], summary: "The dashboard page (HTML, no data)", responses: { "200": { description: "The page", content: { "text/html": { schema: { type: "string" } } } } } } },
    "/dashboard/api/batches": {
      get: {
        tags: ["dashboard"], summary: "Newest batches of every registered kind", security,
        responses: { "200": { description: "Batches", ...json({ type: "object", required: ["kinds", "batches"], properties: { kinds: { type: "array", items: { type: "string" } }, batches: { type: "array", items: ref("DashboardBatch") } } }) }, ...errors },
      },
    },
    "/dashboard/api/batches/{kind}/{batchId}": {
      get: {
        tags: ["dashboard"], summary: "One batch with its failed items", security, parameters: batchParameters,
        responses: {
          "200": { description: "The batch", ...json({ allOf: [{ ...batch, additionalProperties: true }], type: "object", required: ["failedItems"], properties: { failedItems: { type: "array", items: { type: "object", required: ["index", "name", "updatedAt"], properties: { index: { type: "integer" }, name: { type: "string" }, updatedAt: { type: "string", format: "date-time" }, error: ref("DashboardEngineError") } } } } }) },
          ...errors,
        },
      },
    },
    "/dashboard/api/batches/{kind}/{batchId}/cancel": {
      post: { tags: ["dashboard"], summary: "Ask a batch to stop", security, parameters: batchParameters, responses: { "200": { description: "The batch as stored", ...json(ref("DashboardBatch")) }, ...errors } },
    },
  },
  schemas: { DashboardBatch: batch, DashboardItemCounts: counts, DashboardEngineError: engineError, DashboardError: error },
};
