import { app, type InvocationContext, type Timer } from "@azure/functions";
import * as df from "durable-functions";
import { readSettings } from "../config/settings.js";
import { purgeExpiredBatches } from "../engine/purgeBatches.js";
import { legacyBatchRows } from "../kinds/documentIntelligence/legacyBatches.js";
import { getAppServices } from "../services/appServices.js";

app.timer("purgeExpiredBatches", {
  schedule: readSettings().purgeSchedule,
  extraInputs: [df.input.durableClient()],
  handler: async (_timer: Timer, context: InvocationContext) => {
    const services = getAppServices();
    const client = df.getClient(context);
    // Rows from before the engine are moved first, so they expire like any other.
    await legacyBatchRows(services.workStore).migrateAll();
    await purgeExpiredBatches({
      store: services.workStore,
      kinds: services.kinds,
      purgeInstance: async (instanceId) => {
        await client.purgeInstanceHistory(instanceId);
      },
      now: services.now,
      retentionHours: services.settings.retentionHours,
      log: (message) => context.log(message),
    });
    const files = await services.openAiFiles.purgeExpired(services.now().getTime());
    if (files > 0) context.log(`Purged ${files} expired OpenAI files`);
  },
});
