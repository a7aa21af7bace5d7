import * as df from "durable-functions";
import { createEngineActivities } from "../engine/activities.js";
import { createLegacyActivities } from "../kinds/documentIntelligence/legacyActivities.js";
import { analyzeBatchOrchestrator, analyzeBatchPartOrchestrator } from "../orchestration/legacy/analyzeBatchOrchestration.js";
import { ActivityNames, LegacyActivities, LegacyOrchestrators, Orchestrators } from "../orchestration/names.js";
import { runBatchOrchestrator, runItemRangeOrchestrator } from "../orchestration/runBatch.js";
import { getAppServices } from "../services/appServices.js";

// The engine's orchestrators and its typed activity table, registered under their names.
df.app.orchestration(Orchestrators.runBatch, runBatchOrchestrator);
df.app.orchestration(Orchestrators.runItemRange, runItemRangeOrchestrator);

const activities = createEngineActivities(() => getAppServices().engine);
for (const [key, name] of Object.entries(ActivityNames) as [keyof typeof activities, string][]) {
  df.app.activity(name, { handler: activities[key] as (input: unknown) => Promise<unknown> });
}

// Batches started before the engine still run these until they finish (README: Upgrading).
df.app.orchestration(LegacyOrchestrators.analyzeBatch, analyzeBatchOrchestrator);
df.app.orchestration(LegacyOrchestrators.analyzeBatchPart, analyzeBatchPartOrchestrator);
const legacy = createLegacyActivities(() => getAppServices());
for (const [key, name] of Object.entries(LegacyActivities) as [keyof typeof legacy, string][]) {
  df.app.activity(name, { handler: legacy[key] as (input: unknown) => Promise<unknown> });
}
