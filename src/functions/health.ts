import { app } from "@azure/functions";
import { checkHealth } from "../http/health.js";

app.http("health", {
  route: "health",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: async () => ({ jsonBody: await checkHealth() }),
});
