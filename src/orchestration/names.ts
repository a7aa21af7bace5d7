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

/**
 * Names of the Document Intelligence-only orchestration that ran before the engine. Kept
 * registered so batches started before an upgrade finish (README: Upgrading).
 */
export const LegacyOrchestrators = {
  analyzeBatch: "analyzeBatch",
  analyzeBatchPart: "analyzeBatchPart",
} as const;

export const LegacyActivities = {
  prepareBatch: "prepareBatch",
  analyzeDocument: "analyzeDocument",
  finishBatch: "finishBatch",
  failUnfinishedDocuments: "failUnfinishedDocuments",
} as const;
