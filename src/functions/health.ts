import { app } from "@azure/functions";
import { healthResponse } from "../http/health.js";

app.http("health", {
  route: "health",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: healthResponse,
});
