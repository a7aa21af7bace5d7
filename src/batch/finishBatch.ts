import { scrubSecrets } from "../storage/sourceError.js";
import type { BatchRef, DocumentRange } from "./batchRef.js";
import type { BatchServices } from "./services.js";
import { isFinalBatchStatus } from "./status.js";

/** Ends a batch: `canceled` when its caller deleted it while running, else `succeeded` (also when documents failed). */
export async function finishBatch(ref: BatchRef, services: BatchServices): Promise<void> {
  await services.statusTable.updateBatch(ref.modelId, ref.batchId, (batch) =>
    isFinalBatchStatus(batch.status)
      ? undefined
      : { status: batch.cancelRequested ? "canceled" : "succeeded", completedDateTime: services.now().toISOString() },
  );
}

/** After a sub-orchestration gave up on some documents, records them as failed so the batch can finish. */
export async function failUnfinishedDocuments(range: DocumentRange & { reason: string }, services: BatchServices): Promise<number> {
  let failed = 0;
  for await (const document of services.statusTable.listUnfinishedDocuments(range.batchId, range.first, range.count)) {
    await services.statusTable.finishDocument(range.batchId, document.index, "failed", {
      code: "InternalServerError",
      message: `The document could not be processed: ${scrubSecrets(range.reason)}`,
    });
    failed++;
  }
  return failed;
}
