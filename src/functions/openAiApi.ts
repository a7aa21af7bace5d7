import { app, type HttpRequest, type InvocationContext } from "@azure/functions";
import { handleOpenAi } from "../api/openai/api.js";
import { getAppServices } from "../services/appServices.js";
import { FRONT_DOOR_METHODS } from "./frontDoorMethods.js";

// Catch-all routes for both client forms: OpenAI's `/v1/...` and Azure's `/openai/...`
// (`/openai/v1/...` included). The app checks API keys itself.
for (const [name, prefix] of [["openAiApi", "v1"], ["azureOpenAiApi", "openai"]] as const) {
  app.http(name, {
    route: `${prefix}/{*path}`,
    methods: FRONT_DOOR_METHODS,
    authLevel: "anonymous",
    handler: async (request: HttpRequest, context: InvocationContext) =>
      handleOpenAi(request, request.params.path ?? "", { services: getAppServices, logError: (message, error) => context.error(message, error) }),
  });
}
