import * as df from "durable-functions";
import { createLegacyActivities } from "../kinds/documentIntelligence/legacyActivities.js";
import { analyzeBatchOrchestrator, analyzeBatchPartOrchestrator } from "../orchestration/legacy/analyzeBatchOrchestration.js";
import { LegacyActivities, LegacyOrchestrators } from "../orchestration/names.js";
import { getAppServices } from "../services/appServices.js";
import { registerEngineFunctions } from "./engineFunctions.js";

registerEngineFunctions(() => getAppServices().engine);

// Batches started before the engine still run these until they finish (README: Upgrading).
df.app.orchestration(LegacyOrchestrators.analyzeBatch, analyzeBatchOrchestrator);
df.app.orchestration(LegacyOrchestrators.analyzeBatchPart, analyzeBatchPartOrchestrator);
const legacy = createLegacyActivities(() => {
  const { engine, workStore } = getAppServices();
  return { engine, store: workStore };
});
for (const [key, name] of Object.entries(LegacyActivities) as [keyof typeof legacy, string][]) {
  df.app.activity(name, { handler: legacy[key] as (input: unknown) => Promise<unknown> });
}
