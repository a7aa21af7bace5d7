import { SUPPORTED_API_VERSIONS } from "../documentIntelligence/analyzeBatchRequest.js";
import type { OpenApiPart } from "./document.js";
import { json, ref, UUID_PATTERN } from "./helpers.js";

const diError = (description: string) => ({ description, ...json(ref("DiErrorResponse")) });
const common = {
  "400": diError("Invalid request (the message says what to fix)"),
  "401": diError("No valid API key"),
  "404": diError("No such model or batch"),
  "405": diError("Method not allowed"),
  "500": diError("Unexpected failure or broken setting"),
  "503": diError("Storage not answering; retry after Retry-After"),
};
// No ":" or "/": `{modelId}:analyzeBatch` ends the id at the colon.
const modelId = { name: "modelId", in: "path", required: true, schema: { type: "string", pattern: "^[^:/]+$" } };
const resultId = { name: "resultId", in: "path", required: true, schema: { type: "string", pattern: UUID_PATTERN } };
const apiVersion = { name: "api-version", in: "query", required: true, schema: { enum: [...SUPPORTED_API_VERSIONS] } };
const security = [{ apiKey: [] }];
const containerUrl = { type: "string", minLength: 1, description: "A blob container URL (with a SAS, or allowed by DOCBATCH_ALLOWED_STORAGE_ACCOUNTS)" };
const counts = { type: "object", required: ["succeededCount", "failedCount", "skippedCount"], properties: { succeededCount: { type: "integer" }, failedCount: { type: "integer" }, skippedCount: { type: "integer" } } };

/** The Document Intelligence batch front door (src/api/documentIntelligence), as docbatch serves it. */
export const documentIntelligenceOpenApi: OpenApiPart = {
  paths: {
    "/documentintelligence/documentModels": {
      get: { tags: ["documentIntelligence"], security, parameters: [apiVersion], responses: { "200": { description: "Models", ...json({ type: "object", required: ["value"], properties: { value: { type: "array", items: ref("DiModel") } } }) }, ...common } },
    },
    "/documentintelligence/documentModels/{modelId}": {
      get: { tags: ["documentIntelligence"], security, parameters: [modelId, apiVersion], responses: { "200": { description: "The model", ...json(ref("DiModel")) }, ...common } },
    },
    "/documentintelligence/documentModels/{modelId}:analyzeBatch": {
      post: {
        tags: ["documentIntelligence"], security, parameters: [modelId, apiVersion],
        requestBody: { required: true, ...json(ref("DiAnalyzeBatchRequest")) },
        responses: { "202": { description: "Accepted; poll Operation-Location", headers: { "operation-location": { schema: { type: "string" } } } }, "413": diError("Body or source too large"), ...common },
      },
    },
    "/documentintelligence/documentModels/{modelId}/analyzeBatchResults": {
      get: { tags: ["documentIntelligence"], security, parameters: [modelId, apiVersion], responses: { "200": { description: "Batches, newest first", ...json({ type: "object", required: ["value"], properties: { value: { type: "array", items: ref("DiAnalyzeBatchOperation") }, nextLink: { type: "string" } } }) }, ...common } },
    },
    "/documentintelligence/documentModels/{modelId}/analyzeBatchResults/{resultId}": {
      get: { tags: ["documentIntelligence"], security, parameters: [modelId, resultId, apiVersion], responses: { "200": { description: "The batch operation", ...json(ref("DiAnalyzeBatchOperation")) }, ...common } },
      delete: { tags: ["documentIntelligence"], security, parameters: [modelId, resultId, apiVersion], responses: { "204": { description: "Deleted or canceled" }, ...common } },
    },
  },
  schemas: {
    DiErrorBody: {
      type: "object", required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, target: { type: "string" }, details: { type: "array", items: { $ref: "#/components/schemas/DiErrorBody" } }, innererror: { type: "object" } },
    },
    DiErrorResponse: { type: "object", required: ["error"], properties: { error: ref("DiErrorBody") } },
    DiModel: { type: "object", required: ["modelId"], properties: { modelId: { type: "string" }, description: { type: "string" }, apiVersion: { type: "string" } } },
    DiAnalyzeBatchRequest: {
      type: "object", required: ["resultContainerUrl"],
      properties: {
        azureBlobSource: { type: "object", required: ["containerUrl"], properties: { containerUrl: containerUrl, prefix: { type: "string" } } },
        azureBlobFileListSource: { type: "object", required: ["containerUrl", "fileList"], properties: { containerUrl: containerUrl, fileList: { type: "string", minLength: 1 } } },
        resultContainerUrl: containerUrl, resultPrefix: { type: "string" }, overwriteExisting: { type: "boolean" },
      },
    },
    DiAnalyzeBatchOperation: {
      type: "object", required: ["resultId", "status", "percentCompleted", "createdDateTime"],
      properties: {
        resultId: { type: "string" },
        status: { enum: ["notStarted", "running", "succeeded", "failed", "canceled", "skipped"] },
        percentCompleted: { type: "integer", minimum: 0, maximum: 100 },
        createdDateTime: { type: "string" }, lastUpdatedDateTime: { type: "string" },
        error: ref("DiErrorBody"),
        result: { allOf: [counts], properties: { details: { type: "array", items: { type: "object", required: ["sourceUrl", "status"], properties: { sourceUrl: { type: "string" }, resultUrl: { type: "string" }, status: { type: "string" }, error: ref("DiErrorBody") } } } } },
      },
    },
  },
};
