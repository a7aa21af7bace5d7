import { app, type HttpRequest, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { dashboardPage, handleDashboardApi } from "../api/dashboard/api.js";
import { openApiDocument } from "../api/openapi/document.js";
import { getAppServices } from "../services/appServices.js";
import { durableBatchRunner } from "./batchRunner.js";
import { FRONT_DOOR_METHODS } from "./frontDoorMethods.js";

app.http("dashboardPage", {
  route: "dashboard",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: async () => dashboardPage(),
});

app.http("dashboardApi", {
  route: "dashboard/api/{*path}",
  methods: FRONT_DOOR_METHODS,
  authLevel: "anonymous",
  extraInputs: [df.input.durableClient()],
  handler: async (request: HttpRequest, context: InvocationContext) =>
    handleDashboardApi(request, request.params.path ?? "", {
      services: getAppServices,
      runner: durableBatchRunner(context),
      logError: (message, error) => context.error(message, error),
    }),
});

app.http("openApi", {
  route: "openapi.json",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: async () => ({ status: 200, jsonBody: openApiDocument() }),
});
