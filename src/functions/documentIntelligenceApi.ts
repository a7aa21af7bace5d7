import { app, type HttpRequest, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { getBatchServices } from "../batch/services.js";
import { handleDocumentIntelligence } from "../documentIntelligence/api.js";
import { batchInstanceId } from "../orchestration/instanceIds.js";
import { Orchestrators } from "../orchestration/names.js";

// One catch-all route: model ids may contain '.', and ':analyzeBatch' follows a parameter,
// which route templates cannot express. The app checks API keys itself.
app.http("documentIntelligenceApi", {
  route: "documentintelligence/{*path}",
  methods: ["GET", "POST", "DELETE"],
  authLevel: "anonymous",
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext) => {
    const client = df.getClient(context);
    return handleDocumentIntelligence(request, request.params.path ?? "", {
      services: getBatchServices,
      orchestrations: {
        startBatch: async (ref) => {
          await client.startNew(Orchestrators.analyzeBatch, { instanceId: batchInstanceId(ref.batchId), input: ref });
        },
      },
      logError: (message, error) => context.error(message, error),
    });
  },
});
