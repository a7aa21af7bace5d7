import { completeBatch, failUnfinishedItems } from "../../engine/completeBatch.js";
import type { EngineDeps } from "../../engine/engineDeps.js";
import { prepareBatch } from "../../engine/prepareBatch.js";
import { processItems } from "../../engine/processItems.js";
import type { LegacyBatchRef, LegacyDocumentRange, LegacyPreparedBatch } from "../../orchestration/legacy/analyzeBatchOrchestration.js";
import type { TableStatusStore } from "../../storage/tableStatusStore.js";
import { legacyBatchRows } from "./legacyBatches.js";
import { DOCUMENT_INTELLIGENCE_KIND } from "./spec.js";

/**
 * The activities of the orchestration from before the engine (same names and inputs), as
 * adapters onto the engine's: batches started before an upgrade finish on the new code. Each
 * first moves the batch's row to the engine's layout if it is still in the old one.
 */
export function createLegacyActivities(deps: () => { engine: EngineDeps; store: TableStatusStore }) {
  const ready = async (ref: LegacyBatchRef) => {
    const { engine, store } = deps();
    await legacyBatchRows(store).migrate(ref.modelId, ref.batchId);
    return { engine, ref: { kind: DOCUMENT_INTELLIGENCE_KIND, batchId: ref.batchId } };
  };
  return {
    prepareBatch: async (input: LegacyBatchRef): Promise<LegacyPreparedBatch> => {
      const { engine, ref } = await ready(input);
      const prepared = await prepareBatch(ref, engine);
      if (prepared.outcome !== "ready") return { outcome: prepared.outcome };
      return { outcome: "ready", documentCount: prepared.itemCount, documentsPerLeaf: prepared.itemsPerLeaf };
    },
    analyzeDocument: async (input: LegacyBatchRef & { index: number }) => {
      const { engine, ref } = await ready(input);
      const [status] = await processItems({ ...ref, index: input.index, count: 1 }, engine);
      return status;
    },
    finishBatch: async (input: LegacyBatchRef) => {
      const { engine, ref } = await ready(input);
      await completeBatch(ref, engine);
    },
    failUnfinishedDocuments: async (input: LegacyDocumentRange & { reason: string }) => {
      const { engine, ref } = await ready(input);
      return failUnfinishedItems({ ...ref, first: input.first, count: input.count, reason: input.reason }, engine);
    },
  };
}
