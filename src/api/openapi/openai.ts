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
const fileId = { name: "file_id", in: "path", required: true, schema: { type: "string" } };
const apiVersion = { name: "api-version", in: "query", required: false, schema: { type: "string" }, description: "Azure OpenAI's; accepted, not needed" };
const security = [{ bearer: [] }, { apiKey: [] }];
const tags = ["openai"];

/** The OpenAI clients' base paths: OpenAI's `/v1`, Azure's `/openai` and `/openai/v1`. */
export const OPENAI_BASE_PATHS = ["/v1", "/openai", "/openai/v1"] as const;

/** Paths under one base, e.g. "/files" → "/v1/files", "/openai/files", "/openai/v1/files". */
export function underOpenAiBases(paths: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(OPENAI_BASE_PATHS.flatMap((base) => Object.entries(paths).map(([path, item]) => [`${base}${path}`, item])));
}

/** The OpenAI / Azure OpenAI Files API (src/api/openai), as docbatch serves it. */
export const openAiFilesOpenApi: OpenApiPart = {
  paths: underOpenAiBases({
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
            ...json({
              type: "object", required: ["object", "data", "first_id", "last_id", "has_more"],
              properties: { object: { const: "list" }, data: { type: "array", items: ref("OpenAiFile") }, first_id: { type: ["string", "null"] }, last_id: { type: ["string", "null"] }, has_more: { type: "boolean" } },
            }),
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
  }),
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
  },
};
