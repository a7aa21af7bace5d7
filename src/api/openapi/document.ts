import { appOpenApi } from "./app.js";
import { dashboardOpenApi } from "./dashboard.js";
import { documentIntelligenceOpenApi } from "./documentIntelligence.js";
import { openAiOpenApi } from "./openai.js";
import { uploadBatchOpenApi } from "./uploadBatch.js";

/** One API's share of the description: its paths and the component schemas they reference. */
export interface OpenApiPart {
  paths: Record<string, unknown>;
  schemas: Record<string, unknown>;
}

/** Every API's part; a front door adds its own here. */
const PARTS: readonly OpenApiPart[] = [documentIntelligenceOpenApi, uploadBatchOpenApi, openAiOpenApi, dashboardOpenApi, appOpenApi];

/** The OpenAPI 3.1 document served at /openapi.json, assembled from the parts. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: { title: "docbatch", version: "1" },
    paths: Object.assign({}, ...PARTS.map((part) => part.paths)),
    components: {
      schemas: Object.assign({}, ...PARTS.map((part) => part.schemas)),
      securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "api-key" }, bearer: { type: "http", scheme: "bearer" } },
    },
  };
}
