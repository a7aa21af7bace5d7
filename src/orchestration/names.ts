import type { EngineActivities } from "../engine/activities.js";

/** Names under which the engine's orchestrators and activities are registered (src/functions). */
export const Orchestrators = {
  runBatch: "runBatch",
  runItemRange: "runItemRange",
} as const;

export const ActivityNames: { readonly [K in keyof EngineActivities]: string } = {
  prepareBatch: "prepareBatchItems",
  processItems: "processItems",
  verifyBatch: "verifyBatch",
  finalizeBatch: "finalizeBatch",
  completeBatch: "completeBatch",
  failUnfinishedItems: "failUnfinishedItems",
  announceBatch: "announceBatch",
  recordAnnouncementGivenUp: "recordAnnouncementGivenUp",
};
