import { app, type InvocationContext, type Timer } from "@azure/functions";
import * as df from "durable-functions";
import { readSettings } from "../config/settings.js";
import { purgeExpiredBatches } from "../engine/purgeBatches.js";
import { recoverStrandedBatches } from "../engine/strandedBatches.js";
import { getAppServices } from "../services/appServices.js";
import { durableBatchRunner, durableInstances } from "./batchRunner.js";

app.timer("purgeExpiredBatches", {
  schedule: readSettings().purgeSchedule,
  extraInputs: [df.input.durableClient()],
  handler: async (_timer: Timer, context: InvocationContext) => {
    const services = getAppServices();
    const instances = durableInstances(context);
    // Before the purge: a stranded batch failed here is purged when its retention has passed.
    await recoverStrandedBatches({
      store: services.workStore,
      runner: durableBatchRunner(context),
      instanceState: instances.state,
      purgeInstance: instances.purge,
      now: services.now,
      quietMinutes: services.settings.strandedAfterMinutes,
      log: (message) => context.log(message),
    });
    await purgeExpiredBatches({
      store: services.workStore,
      kinds: services.kinds,
      purgeInstance: instances.purge,
      now: services.now,
      retentionHours: services.settings.retentionHours,
      log: (message) => context.log(message),
    });
    const files = await services.openAiFiles.purgeExpired(services.now().getTime());
    if (files > 0) context.log(`Purged ${files} expired OpenAI files`);
    await services.webhookDeliveries.purgeOlderThan(new Date(services.now().getTime() - services.settings.retentionHours * 3_600_000));
    const uploads = await services.openAiUploads.purgeExpired(services.now().getTime());
    if (uploads > 0) context.log(`Purged ${uploads} expired OpenAI uploads`);
  },
});
