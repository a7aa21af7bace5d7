import { app, type HttpRequest, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleDocumentIntelligence } from "../api/documentIntelligence/api.js";
import { getAppServices } from "../services/appServices.js";
import { durableBatchRunner } from "./batchRunner.js";
import { FRONT_DOOR_METHODS } from "./frontDoorMethods.js";

// One catch-all route: model ids may contain '.', and ':analyzeBatch' follows a parameter,
// which route templates cannot express. The app checks API keys itself. Every method is taken,
// so a wrong one gets DI's 405 with Allow from the app rather than the host's empty one.
app.http("documentIntelligenceApi", {
  route: "documentintelligence/{*path}",
  methods: FRONT_DOOR_METHODS,
  authLevel: "anonymous",
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext) =>
    handleDocumentIntelligence(request, request.params.path ?? "", {
      services: getAppServices,
      runner: durableBatchRunner(context),
      logError: (message, error) => context.error(message, error),
    }),
});
