import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { BatchRunner } from "../engine/batches.js";
import { batchInstanceId } from "../orchestration/instanceIds.js";
import { Orchestrators } from "../orchestration/names.js";

/** The engine's BatchRunner port on the durable client of an HTTP function (which needs `extraInputs: [df.input.durableClient()]`). */
export function durableBatchRunner(context: InvocationContext): BatchRunner {
  return {
    async start(ref) {
      await df.getClient(context).startNew(Orchestrators.runBatch, { instanceId: batchInstanceId(ref.batchId), input: ref });
    },
  };
}
