import { announceBatch, recordAnnouncementGivenUp } from "./announceBatch.js";
import { completeBatch, failUnfinishedItems, finalizeBatch } from "./completeBatch.js";
import type { EngineDeps } from "./engineDeps.js";
import { prepareBatch } from "./prepareBatch.js";
import { processItems } from "./processItems.js";
import type { BatchRef, CompleteBatchInput, FailUnfinishedInput, ItemGroup } from "./refs.js";
import { verifyBatch, type VerifyBatchInput } from "./verifyBatch.js";

/** The part of the Functions invocation context an activity logs through. */
interface ActivityInvocation {
  log(message: string): void;
}

/**
 * The engine's activities as one typed table (Temporal's `createActivities(deps)` pattern):
 * src/functions registers each under its name (src/orchestration/names.ts), and orchestrators
 * call them through `activityProxy<EngineActivities>`, so inputs and results are checked by the
 * compiler on both sides. `deps` is a getter: services are built on first use, inside the
 * activity, so a broken setting fails the activity instead of the app's start.
 */
export function createEngineActivities(deps: () => EngineDeps) {
  return {
    prepareBatch: (ref: BatchRef) => prepareBatch(ref, deps()),
    processItems: (group: ItemGroup) => processItems(group, deps()),
    verifyBatch: (input: VerifyBatchInput, invocation?: ActivityInvocation) => verifyBatch(input, deps(), (message) => invocation?.log(message)),
    finalizeBatch: (ref: BatchRef) => finalizeBatch(ref, deps()),
    completeBatch: (input: CompleteBatchInput) => completeBatch(input, deps()),
    failUnfinishedItems: (input: FailUnfinishedInput) => failUnfinishedItems(input, deps()),
    announceBatch: (ref: BatchRef) => announceBatch(ref, deps()),
    recordAnnouncementGivenUp: (input: BatchRef & { reason: string }) => recordAnnouncementGivenUp(input, deps()),
  };
}

export type EngineActivities = ReturnType<typeof createEngineActivities>;
