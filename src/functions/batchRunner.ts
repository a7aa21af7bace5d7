import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { BatchRunner } from "../engine/batches.js";
import type { InstanceState } from "../engine/strandedBatches.js";
import { batchInstanceId } from "../orchestration/instanceIds.js";
import { Orchestrators } from "../orchestration/names.js";

/** The engine's BatchRunner port on the durable client of a function (which needs `extraInputs: [df.input.durableClient()]`). */
export function durableBatchRunner(context: InvocationContext): BatchRunner {
  return {
    async start(ref) {
      await df.getClient(context).startNew(Orchestrators.runBatch, { instanceId: batchInstanceId(ref.batchId), input: ref });
    },
  };
}

const RUNNING_STATES: ReadonlySet<string> = new Set([
  df.OrchestrationRuntimeStatus.Pending,
  df.OrchestrationRuntimeStatus.Running,
  df.OrchestrationRuntimeStatus.ContinuedAsNew,
  df.OrchestrationRuntimeStatus.Suspended,
]);

/** What the purge timer asks the durable backend about a batch's instances, on the function's durable client. */
export function durableInstances(context: InvocationContext) {
  const client = df.getClient(context);
  return {
    async state(instanceId: string): Promise<InstanceState> {
      let status: df.DurableOrchestrationStatus;
      try {
        status = await client.getStatus(instanceId, { showInput: false });
      } catch (error) {
        // durable-functions v3 throws on the extension's 404 with no status code on the error; its message names it.
        if (error instanceof Error && /HTTP 404 response/.test(error.message)) return { state: "missing" };
        throw error;
      }
      return RUNNING_STATES.has(status.runtimeStatus) ? { state: "running" } : { state: "ended", runtimeStatus: status.runtimeStatus };
    },
    async purge(instanceId: string): Promise<void> {
      await client.purgeInstanceHistory(instanceId);
    },
  };
}
