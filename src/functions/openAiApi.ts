import { app, type HttpRequest, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { handleOpenAi } from "../api/openai/api.js";
import { getAppServices } from "../services/appServices.js";
import { durableBatchRunner } from "./batchRunner.js";
import { FRONT_DOOR_METHODS } from "./frontDoorMethods.js";

// Catch-all routes for both client forms: OpenAI's `/v1/...` and Azure's `/openai/...`
// (`/openai/v1/...` included). The app checks API keys itself.
for (const [name, prefix] of [["openAiApi", "v1"], ["azureOpenAiApi", "openai"]] as const) {
  app.http(name, {
    route: `${prefix}/{*path}`,
    methods: FRONT_DOOR_METHODS,
    authLevel: "anonymous",
    extraInputs: [df.input.durableClient()],
    handler: async (request: HttpRequest, context: InvocationContext) =>
      handleOpenAi(request, request.params.path ?? "", { services: getAppServices, runner: durableBatchRunner(context), logError: (message, error) => context.error(message, error) }),
  });
}
