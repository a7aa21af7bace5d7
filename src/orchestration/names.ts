/** Names under which the orchestrators and activities are registered (src/functions). */
export const Orchestrators = {
  analyzeBatch: "analyzeBatch",
  analyzeBatchPart: "analyzeBatchPart",
} as const;

export const Activities = {
  prepareBatch: "prepareBatch",
  analyzeDocument: "analyzeDocument",
  finishBatch: "finishBatch",
  failUnfinishedDocuments: "failUnfinishedDocuments",
} as const;
