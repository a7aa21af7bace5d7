import * as df from "durable-functions";
import { createEngineActivities } from "../engine/activities.js";
import type { EngineDeps } from "../engine/engineDeps.js";
import { ActivityNames, Orchestrators } from "../orchestration/names.js";
import { runBatchOrchestrator, runItemRangeOrchestrator } from "../orchestration/runBatch.js";

/** Registers the engine's orchestrators and its typed activity table under their names (the app, and test apps with their own deps). */
export function registerEngineFunctions(deps: () => EngineDeps): void {
  df.app.orchestration(Orchestrators.runBatch, runBatchOrchestrator);
  df.app.orchestration(Orchestrators.runItemRange, runItemRangeOrchestrator);
  const activities = createEngineActivities(deps);
  for (const [key, name] of Object.entries(ActivityNames) as [keyof typeof activities, string][]) {
    df.app.activity(name, { handler: activities[key] as (input: unknown) => Promise<unknown> });
  }
}
