import type { OpenApiPart } from "./document.js";
import { json, ref } from "./helpers.js";

/** The app's own routes beside the front doors: its health and this description. */
export const appOpenApi: OpenApiPart = {
  paths: {
    "/health": {
      get: {
        tags: ["app"], summary: "Version and whether docbatch's storage answers (no key)",
        responses: {
          "200": { description: "Storage reachable", ...json(ref("Health")) },
          "503": { description: "Storage not reachable; Retry-After", headers: { "retry-after": { schema: { type: "string" } } }, ...json(ref("Health")) },
        },
      },
    },
    "/openapi.json": {
      get: { tags: ["app"], summary: "This description (no key)", responses: { "200": { description: "OpenAPI 3.1", ...json({ type: "object", required: ["openapi", "paths"] }) } } },
    },
  },
  schemas: {
    Health: {
      type: "object", required: ["name", "version", "storage"],
      properties: {
        name: { const: "docbatch" }, version: { type: "string" },
        storage: { type: "object", required: ["reachable"], properties: { reachable: { type: "boolean" }, error: { type: "string" } } },
      },
    },
  },
};
