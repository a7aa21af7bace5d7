import { app, type InvocationContext, type Timer } from "@azure/functions";
import * as df from "durable-functions";
import { purgeExpiredBatches } from "../batch/purgeExpiredBatches.js";
import { getBatchServices } from "../batch/services.js";
import { readSettings } from "../config/settings.js";

app.timer("purgeExpiredBatches", {
  schedule: readSettings().purgeSchedule,
  extraInputs: [df.input.durableClient()],
  handler: async (_timer: Timer, context: InvocationContext) => {
    const services = getBatchServices();
    const client = df.getClient(context);
    await purgeExpiredBatches({
      statusTable: services.statusTable,
      purgeInstance: async (instanceId) => {
        await client.purgeInstanceHistory(instanceId);
      },
      now: services.now,
      retentionHours: services.settings.retentionHours,
      log: (message) => context.log(message),
    });
  },
});
