import { app, type HttpRequest, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleUploadBatch } from "../api/uploadBatch/api.js";
import { getAppServices } from "../services/appServices.js";
import { durableBatchRunner } from "./batchRunner.js";
import { FRONT_DOOR_METHODS } from "./frontDoorMethods.js";

// DocuDevs' upload-batch API: `/document/batch...` and `/job/...`. The app checks API keys itself.
for (const [name, prefix] of [["uploadBatchDocumentApi", "document"], ["uploadBatchJobApi", "job"]] as const) {
  app.http(name, {
    route: `${prefix}/{*path}`,
    methods: FRONT_DOOR_METHODS,
    authLevel: "anonymous",
    extraInputs: [df.input.durableClient()],
    handler: async (request: HttpRequest, context: InvocationContext) =>
      handleUploadBatch(request, { services: getAppServices, runner: durableBatchRunner(context), logError: (message, error) => context.error(message, error) }),
  });
}
