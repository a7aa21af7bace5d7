import type { OpenApiPart } from "./document.js";
import { json, ref, UUID_PATTERN } from "./helpers.js";

const error = (description: string) => ({ description, ...json(ref("DocuDevsError")) });
const common = {
  "401": error("No valid key in Authorization"),
  "405": error("Method not allowed (Allow names the ones that are)"),
  "500": error("Unexpected failure"),
  "503": error("Storage not answering; retry after Retry-After"),
};
const ofJob = { "404": error("No such job (deleted or purged)"), ...common };
const guid = { name: "guid", in: "path", required: true, schema: { type: "string", pattern: UUID_PATTERN } };
// DocuDevs' clients send `Authorization: Bearer`; docbatch takes its other key headers too.
const security = [{ bearer: [] }, { apiKey: [] }];
const tags = ["uploadBatch"];
const nonNegative = { type: "integer", minimum: 0 };
const jsonBody = (schema: unknown) => ({ required: false, ...json(schema) });

/** DocuDevs' upload-batch API (src/api/uploadBatch), as docbatch serves it. */
export const uploadBatchOpenApi: OpenApiPart = {
  paths: {
    "/document/batch": {
      post: {
        tags, security, summary: "Create a batch",
        requestBody: jsonBody({ type: "object", properties: { maxConcurrency: { type: ["integer", "null"], minimum: 1, description: "null or absent: 3" }, orgId: { description: "accepted and ignored" }, mimeType: { description: "accepted and ignored: each upload is read by its own bytes" } } }),
        responses: {
          "200": { description: "The new job", ...json({ type: "object", required: ["jobGuid", "maxConcurrency"], properties: { jobGuid: { type: "string" }, maxConcurrency: { type: "integer", minimum: 1 } } }) },
          "400": error("Not a JSON object, or a bad maxConcurrency"),
          "413": error("Body over 1 MB"),
          ...common,
        },
      },
    },
    "/document/batch/{guid}/upload": {
      post: {
        tags, security, summary: "Upload one document", parameters: [guid],
        requestBody: {
          required: true,
          content: { "multipart/form-data": { schema: { type: "object", required: ["document"], properties: { document: { type: "string", format: "binary" } } } } },
        },
        responses: {
          "200": { description: "Its place in the batch", ...json({ type: "object", required: ["jobGuid", "index", "totalDocuments"], properties: { jobGuid: { type: "string" }, index: nonNegative, totalDocuments: { type: "integer", minimum: 1 } } }) },
          "400": error("No document part, not multipart, or the batch is full"),
          "409": error("The batch is already processing"),
          "413": error("Document over DOCBATCH_UPLOAD_MAX_DOCUMENT_BYTES"),
          ...ofJob,
        },
      },
    },
    "/document/batch/{guid}/process": {
      post: {
        tags, security, summary: "Process every uploaded document", parameters: [guid],
        requestBody: jsonBody(ref("DocuDevsUploadCommand")),
        responses: {
          "200": { description: "Processing started", ...json({ type: "object", required: ["jobGuid", "maxConcurrency"], properties: { jobGuid: { type: "string" }, maxConcurrency: { type: "integer", minimum: 1 } } }) },
          "400": error("A bad UploadCommand (the message names the field), an unsupported option, or no documents"),
          "409": error("Already processing"),
          "413": error("Body over 1 MB"),
          ...ofJob,
        },
      },
    },
    "/job/status/{guid}": {
      get: { tags, security, summary: "The job", parameters: [guid], responses: { "200": { description: "ProcessingJob", ...json(ref("DocuDevsProcessingJob")) }, ...ofJob } },
    },
    "/job/result/{guid}": {
      get: { tags, security, summary: "Results in upload order (legacy route)", parameters: [guid], responses: { "200": { description: "One entry per upload", ...json(ref("DocuDevsResults")) }, ...ofJob } },
    },
    "/job/result/{guid}/json": {
      get: { tags, security, summary: "Results in upload order", parameters: [guid], responses: { "200": { description: "One entry per upload", ...json(ref("DocuDevsResults")) }, ...ofJob } },
    },
    "/job/result/{guid}/csv": {
      get: {
        tags, security, summary: "Results as CSV: index, error, one column per top-level field", parameters: [guid],
        responses: { "200": { description: "CSV", content: { "text/csv": { schema: { type: "string" } } } }, ...ofJob },
      },
    },
    "/job/result/{guid}/source-locations": {
      get: {
        tags, security, summary: "Where each extracted string value is in its document", parameters: [guid, { name: "batchIndex", in: "query", required: false, schema: nonNegative }],
        responses: {
          "200": {
            description: "Without batchIndex one entry per upload; with it, that document's (null when it has none)",
            ...json({ oneOf: [{ type: "array", items: { oneOf: [ref("DocuDevsSourceLocations"), { type: "null" }] } }, ref("DocuDevsSourceLocations"), { type: "null" }] }),
          },
          "400": error("batchIndex out of range"),
          ...ofJob,
        },
      },
    },
    "/job/list": {
      get: {
        tags, security, summary: "A page of jobs, newest first",
        parameters: [
          { name: "page", in: "query", required: false, schema: nonNegative },
          { name: "size", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000 } },
          { name: "status", in: "query", required: false, schema: { type: "string" } },
        ],
        responses: { "200": { description: "Page", ...json(ref("DocuDevsJobPage")) }, "400": error("page or size out of range"), ...common },
      },
    },
    "/job/{guid}": {
      delete: {
        tags, security, summary: "Delete a job that is not processing", parameters: [guid],
        responses: {
          "200": { description: "Deleted", ...json({ type: "object", required: ["jobsDeleted", "errors"], properties: { jobsDeleted: nonNegative, errors: { type: "array" } } }) },
          "400": error("Still processing"),
          ...ofJob,
        },
      },
    },
  },
  schemas: {
    DocuDevsError: {
      type: "object", required: ["message", "status", "timestamp", "path", "error"],
      properties: { message: { type: "string" }, status: { type: "integer" }, timestamp: { type: "string", format: "date-time" }, path: { type: "string" }, error: { type: "string" } },
    },
    DocuDevsUploadCommand: {
      type: "object",
      properties: {
        prompt: { type: ["string", "null"] },
        schema: { type: ["string", "null"], description: "A JSON Schema, or an example-shaped JSON object, as a string" },
        mimeType: { type: ["string", "null"] },
        ocr: { enum: ["DEFAULT", "PREMIUM", "NONE", "AUTO", "LOW", null] },
        llm: { enum: ["DEFAULT", "NANO", "MINI", "HIGH", null] },
        extractionMode: { enum: ["SIMPLE", "OCR", "GENERATIVE", null] },
        pageRange: { type: ["array", "null"], items: { type: "integer", minimum: 1 } },
        maxConcurrency: { type: ["integer", "null"], minimum: 1 },
        orgId: {},
        barcodes: { const: false }, describeFigures: { const: false }, extractFigures: { const: false }, mapReduce: { const: false }, tools: { type: "array", maxItems: 0 }, trace: { const: false },
      },
    },
    DocuDevsProcessingJob: {
      type: "object",
      required: ["guid", "status", "isBatch", "totalDocs", "completedDocs", "failedDocs", "inProgressDocs", "maxConcurrency", "error", "tokenCount", "createdAt", "updatedAt"],
      properties: {
        guid: { type: "string" },
        status: { enum: ["PENDING", "PROCESSING", "COMPLETED", "ERROR"] },
        isBatch: { type: "boolean" },
        totalDocs: nonNegative, completedDocs: nonNegative, failedDocs: nonNegative, inProgressDocs: nonNegative,
        maxConcurrency: { type: "integer", minimum: 1 }, nextDocIndex: nonNegative,
        jobType: { type: "string" }, jobMode: { type: "string" }, organizationId: { type: "integer" }, dependencyStatus: { type: "string" },
        error: { type: ["string", "null"] },
        tokenCount: nonNegative,
        createdAt: { type: "string", format: "date-time" }, updatedAt: { type: "string", format: "date-time" },
      },
    },
    DocuDevsResults: {
      type: "array",
      description: "Per upload: the extracted object (Markdown text in OCR mode), \"Error: <file>: <why>\", or null while pending",
      items: {},
    },
    DocuDevsSourceLocations: {
      type: "object",
      description: "Keyed by the JSON Pointer of an extracted string value",
      additionalProperties: {
        type: "object", required: ["page", "text"],
        properties: {
          page: { type: "integer", minimum: 1 }, text: { type: "string" },
          polygon: { type: "array", items: { type: "number" } },
          bbox: { type: "array", items: { type: "number" }, minItems: 4, maxItems: 4 },
          unit: { enum: ["inch", "pixel"] },
        },
      },
    },
    DocuDevsJobPage: {
      type: "object", required: ["content", "pageNumber", "offset", "size", "empty", "numberOfElements", "totalSize", "totalPages"],
      properties: {
        content: { type: "array", items: ref("DocuDevsProcessingJob") },
        pageable: { type: "object" },
        pageNumber: nonNegative, offset: nonNegative, size: { type: "integer", minimum: 1 }, empty: { type: "boolean" },
        numberOfElements: nonNegative, totalSize: nonNegative, totalPages: nonNegative,
      },
    },
  },
};
