import type { OpenApiPart } from "./document.js";
import { json, ref } from "./helpers.js";

const error = (description: string) => ({ description, ...json(ref("OpenAiErrorResponse")) });
const common = {
  "401": error("No valid key (Authorization: Bearer, or api-key)"),
  "405": error("Method not allowed (Allow names the ones that are)"),
  "500": error("Unexpected failure"),
  "503": error("Storage not answering; retry after Retry-After"),
};
const ofFile = { "404": error("No such file"), ...common };
const ofUpload = { "404": error("No such upload"), ...common };
const ofBatch = { "404": error("No such batch"), ...common };
const BATCH_ID_PATTERN = "^batch_[0-9a-f]{32}$";
const batchId = { name: "batch_id", in: "path", required: true, schema: { type: "string" } };
const uploadId = { name: "upload_id", in: "path", required: true, schema: { type: "string" } };
const fileId = { name: "file_id", in: "path", required: true, schema: { type: "string" } };
const apiVersion = { name: "api-version", in: "query", required: false, schema: { type: "string" }, description: "Azure OpenAI's; accepted, not needed" };
const security = [{ bearer: [] }, { apiKey: [] }];
const tags = ["openai"];

/** OpenAI's cursor page: `{ object: "list", data, first_id, last_id, has_more }`. */
const listPage = (item: string) => ({
  type: "object", required: ["object", "data", "first_id", "last_id", "has_more"],
  properties: { object: { const: "list" }, data: { type: "array", items: ref(item) }, first_id: { type: ["string", "null"] }, last_id: { type: ["string", "null"] }, has_more: { type: "boolean" } },
});

/** Batch creation, on `/batches` and on Azure's deployment route. */
const createBatch = (summary: string, parameters: unknown[]) => ({
  tags, security, summary, parameters,
  requestBody: { required: true, ...json(ref("OpenAiBatchRequest")) },
  responses: { "200": { description: "The batch", ...json(ref("OpenAiBatch")) }, "400": error("A missing or bad parameter (param names it)"), "404": error("No such input file"), "413": error("Body over 1 MB"), ...common },
});

/** The OpenAI clients' base paths: OpenAI's `/v1`, Azure's `/openai` and `/openai/v1`. */
export const OPENAI_BASE_PATHS = ["/v1", "/openai", "/openai/v1"] as const;

/** Azure's deployment form of batch creation (`/openai/deployments/{deployment}/batches`). */
function azureDeploymentBatches(): Record<string, unknown> {
  const item = { post: createBatch("Create a batch (Azure's deployment route)", [{ name: "deployment", in: "path", required: true, schema: { type: "string" } }, apiVersion]) };
  // Served under every base (the deployment names only where Azure routes it).
  return underOpenAiBases({ "/deployments/{deployment}/batches": item });
}

/** Paths under one base, e.g. "/files" → "/v1/files", "/openai/files", "/openai/v1/files". */
export function underOpenAiBases(paths: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(OPENAI_BASE_PATHS.flatMap((base) => Object.entries(paths).map(([path, item]) => [`${base}${path}`, item])));
}

/** The OpenAI / Azure OpenAI Files and Batches APIs (src/api/openai), as docbatch serves them. */
export const openAiOpenApi: OpenApiPart = {
  paths: {
    ...azureDeploymentBatches(),
    ...underOpenAiBases({
    "/files": {
      post: {
        tags, security, summary: "Upload a file", parameters: [apiVersion],
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: {
                type: "object", required: ["file", "purpose"],
                properties: {
                  file: { type: "string", format: "binary" },
                  purpose: { enum: ["batch", "fine-tune", "assistants", "vision", "user_data", "evals"] },
                  "expires_after[anchor]": { const: "created_at" },
                  "expires_after[seconds]": { type: "integer", minimum: 3600, maximum: 2_592_000 },
                },
                // Both or neither.
                dependentRequired: { "expires_after[anchor]": ["expires_after[seconds]"], "expires_after[seconds]": ["expires_after[anchor]"] },
              },
            },
          },
        },
        responses: { "200": { description: "The file", ...json(ref("OpenAiFile")) }, "400": error("No file part, bad purpose or expiry"), "413": error("File over the limit"), ...common },
      },
      get: {
        tags, security, summary: "List files",
        parameters: [
          apiVersion,
          { name: "purpose", in: "query", required: false, schema: { type: "string" } },
          { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 10_000 } },
          { name: "after", in: "query", required: false, schema: { type: "string" } },
          { name: "order", in: "query", required: false, schema: { enum: ["asc", "desc"] } },
        ],
        responses: {
          "200": {
            description: "A page of files",
            ...json(listPage("OpenAiFile")),
          },
          "400": error("Bad limit or order"),
          ...common,
        },
      },
    },
    "/files/{file_id}": {
      get: { tags, security, summary: "Retrieve a file", parameters: [fileId, apiVersion], responses: { "200": { description: "The file", ...json(ref("OpenAiFile")) }, ...ofFile } },
      delete: {
        tags, security, summary: "Delete a file", parameters: [fileId, apiVersion],
        responses: {
          "200": { description: "Deleted", ...json({ type: "object", required: ["id", "object", "deleted"], properties: { id: { type: "string" }, object: { const: "file" }, deleted: { const: true } } }) },
          ...ofFile,
        },
      },
    },
    "/files/{file_id}/content": {
      get: {
        tags, security, summary: "The file's bytes", parameters: [fileId, apiVersion],
        responses: { "200": { description: "Raw content", content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } }, ...ofFile },
      },
    },
    "/uploads": {
      post: {
        tags, security, summary: "Start an upload in parts (for files larger than one request may carry); it expires after an hour", parameters: [apiVersion],
        requestBody: { required: true, ...json(ref("OpenAiUploadRequest")) },
        responses: { "200": { description: "The upload, pending", ...json(ref("OpenAiUpload")) }, "400": error("A missing or bad parameter (param names it), or bytes over the file limit"), "413": error("Body over 1 MB"), ...common },
      },
    },
    "/uploads/{upload_id}/parts": {
      post: {
        tags, security, summary: "Add a part (at most 64 MB), streamed into storage", parameters: [uploadId, apiVersion],
        requestBody: { required: true, content: { "multipart/form-data": { schema: { type: "object", required: ["data"], properties: { data: { type: "string", format: "binary" } } } } } },
        responses: {
          "200": { description: "The part", ...json({ type: "object", required: ["id", "object", "created_at", "upload_id"], properties: { id: { type: "string" }, object: { const: "upload.part" }, created_at: { type: "integer" }, upload_id: { type: "string" } } }) },
          "400": error("No data part; the upload is not pending, expired, or its parts would exceed its size by more than a part"),
          "413": error("Part over 64 MB"),
          ...ofUpload,
        },
      },
    },
    "/uploads/{upload_id}/complete": {
      post: {
        tags, security, summary: "Join the parts in part_ids order into a File (md5 checked when given)", parameters: [uploadId, apiVersion],
        requestBody: { required: true, ...json({ type: "object", required: ["part_ids"], properties: { part_ids: { type: "array", items: { type: "string" } }, md5: { type: "string" } } }) },
        responses: { "200": { description: "The upload, completed, with its file", ...json(ref("OpenAiUpload")) }, "400": error("Unknown or repeated part ids, wrong total bytes, wrong md5, or not pending"), "413": error("Body over 1 MB"), ...ofUpload },
      },
    },
    "/uploads/{upload_id}/cancel": {
      post: {
        tags, security, summary: "Cancel an upload; its parts are removed", parameters: [uploadId, apiVersion],
        responses: { "200": { description: "The upload, cancelled", ...json(ref("OpenAiUpload")) }, "400": error("Already completed or expired"), ...ofUpload },
      },
    },
    "/batches": {
      post: createBatch("Create a batch from an uploaded JSONL file (or Azure's input_blob + output_folder)", [apiVersion]),
      get: {
        tags, security, summary: "List batches, newest first",
        parameters: [
          apiVersion,
          { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 100 } },
          { name: "after", in: "query", required: false, schema: { type: "string", pattern: BATCH_ID_PATTERN } },
        ],
        responses: {
          "200": {
            description: "A page of batches",
            ...json(listPage("OpenAiBatch")),
          },
          "400": error("Bad limit or after"),
          ...common,
        },
      },
    },
    "/batches/{batch_id}": {
      get: { tags, security, summary: "Retrieve a batch", parameters: [batchId, apiVersion], responses: { "200": { description: "The batch", ...json(ref("OpenAiBatch")) }, ...ofBatch } },
    },
    "/batches/{batch_id}/cancel": {
      post: {
        tags, security, summary: "Cancel a batch: lines not started are dropped, the files hold what was done", parameters: [batchId, apiVersion],
        responses: { "200": { description: "The batch (cancelling or cancelled)", ...json(ref("OpenAiBatch")) }, "409": error("Already completed, failed or expired"), ...ofBatch },
      },
    },
  }),
  },
  schemas: {
    OpenAiErrorResponse: {
      type: "object", required: ["error"],
      properties: {
        error: {
          type: "object", required: ["message", "type", "param", "code"],
          properties: { message: { type: "string" }, type: { type: "string" }, param: { type: ["string", "null"] }, code: { type: ["string", "null"] } },
        },
      },
    },
    OpenAiFile: {
      type: "object", required: ["id", "object", "bytes", "created_at", "filename", "purpose", "status"],
      properties: {
        id: { type: "string" }, object: { const: "file" }, bytes: { type: "integer", minimum: 0 },
        created_at: { type: "integer" }, filename: { type: "string" }, purpose: { type: "string" },
        status: { enum: ["uploaded", "processed", "error"] }, status_details: { type: ["string", "null"] }, expires_at: { type: ["integer", "null"] },
      },
    },
    OpenAiUploadRequest: {
      type: "object", required: ["bytes", "filename", "mime_type", "purpose"],
      properties: {
        bytes: { type: "integer", minimum: 1 }, filename: { type: "string" }, mime_type: { type: "string" },
        purpose: { enum: ["batch", "fine-tune", "assistants", "vision", "user_data", "evals"] },
        expires_after: { type: "object", required: ["anchor", "seconds"], properties: { anchor: { const: "created_at" }, seconds: { type: "integer", minimum: 3600, maximum: 2_592_000 } } },
      },
    },
    OpenAiUpload: {
      type: "object", required: ["id", "object", "bytes", "created_at", "filename", "purpose", "status", "expires_at"],
      properties: {
        id: { type: "string" }, object: { const: "upload" }, bytes: { type: "integer" }, created_at: { type: "integer" }, filename: { type: "string" }, purpose: { type: "string" },
        status: { enum: ["pending", "completed", "cancelled", "expired"] }, expires_at: { type: "integer" },
        file: { oneOf: [{ type: "null" }, ref("OpenAiFile")] },
      },
    },
    OpenAiBatchRequest: {
      type: "object", required: ["endpoint", "completion_window"],
      properties: {
        input_file_id: { type: "string", description: "A file uploaded with purpose 'batch'" },
        input_blob: { type: "string", description: "Azure: the URL of the input JSONL blob (with output_folder)" },
        output_folder: { type: "object", required: ["url"], properties: { url: { type: "string" } } },
        endpoint: { enum: ["/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/responses", "/v1/moderations", "/chat/completions", "/embeddings", "/completions", "/responses", "/moderations"] },
        completion_window: { const: "24h" },
        metadata: { type: ["object", "null"], maxProperties: 16, additionalProperties: { type: "string", maxLength: 512 } },
        output_expires_after: { type: "object", required: ["anchor", "seconds"], properties: { anchor: { const: "created_at" }, seconds: { type: "integer", minimum: 3600, maximum: 2_592_000 } } },
      },
    },
    OpenAiBatch: {
      type: "object",
      required: ["id", "object", "endpoint", "errors", "input_file_id", "completion_window", "status", "output_file_id", "error_file_id", "created_at", "request_counts"],
      properties: {
        id: { type: "string" }, object: { const: "batch" }, endpoint: { type: "string" }, model: { type: ["string", "null"] },
        errors: {
          oneOf: [
            { type: "null" },
            {
              type: "object", required: ["object", "data"],
              properties: {
                object: { const: "list" },
                data: { type: "array", items: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" }, param: { type: ["string", "null"] }, line: { type: ["integer", "null"] } } } },
              },
            },
          ],
        },
        input_file_id: { type: ["string", "null"] },
        completion_window: { type: "string" },
        status: { enum: ["validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled"] },
        output_file_id: { type: ["string", "null"] }, error_file_id: { type: ["string", "null"] },
        ...Object.fromEntries(["created_at", "in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at"].map((name) => [name, { type: name === "created_at" ? "integer" : ["integer", "null"] }])),
        request_counts: { type: "object", required: ["total", "completed", "failed"], properties: { total: { type: "integer", minimum: 0 }, completed: { type: "integer", minimum: 0 }, failed: { type: "integer", minimum: 0 } } },
        usage: { type: "object" },
        metadata: { type: ["object", "null"], additionalProperties: { type: "string" } },
        input_blob: { type: "string" }, output_blob: { type: ["string", "null"] }, error_blob: { type: ["string", "null"] },
      },
    },
  },
};
