import { runScenario } from "../lib/childScenario.js";
import type { SectionResult } from "../lib/sectionResult.js";
import { STORAGE_PRICES } from "../lib/storagePrices.js";
import type { DoorTransactionsRun } from "../scenarios/doorTransactions.js";

/** What 100,000 items cost per door, scaled from a run of `items`. */
const SCALE_TO = 100_000;

/** Storage requests per item of each front door, and what 100,000 items cost in storage transactions on Azure. */
export async function runStorageCostBenchmark({ quick }: { quick: boolean }): Promise<SectionResult> {
  const items = quick ? 200 : 1_000;
  process.stderr.write(`  storageCost: ${items} items through each door...\n`);
  const run = await runScenario<DoorTransactionsRun>("scenarios/doorTransactions", { items }, { timeoutMs: 30 * 60_000 });
  const per = (value: number) => value / items;
  return {
    section: "storageCost",
    tables: [
      {
        title: `Storage transactions per item, ${items} items per door (first request of the door until its orchestration completed; polls not counted)`,
        headers: ["door", "requests / item", "table / item", "blob / item", "table entity ops / item", `USD per ${SCALE_TO.toLocaleString("en-US")} items`],
        rows: run.doors.map((door) => [door.door, per(door.requests), per(door.tableRequests), per(door.blobRequests), per(door.tableEntityOperations), (door.cost / items) * SCALE_TO]),
      },
      {
        title: "Requests by operation, per item",
        headers: ["door", "operation", "per item"],
        rows: run.doors.flatMap((door) => door.operations.map((operation) => [door.door, operation.key, per(operation.count)])),
      },
    ],
    notes: [
      `Prices: ${STORAGE_PRICES.asOf}: Table $${STORAGE_PRICES.tablePer10k} per 10,000 transactions (an entity-group transaction of up to 100 entities is one); Blob write and list/create-container $${STORAGE_PRICES.blobWritePer10k}, read and other $${STORAGE_PRICES.blobReadPer10k} per 10,000; deletes free (bench/lib/storagePrices.ts). Capacity (GB-month) is not included.`,
      "Upload batch: each upload counts its document's blob and record, its slot row (one conditional insert) and the read of the batch row; the OpenAI door counts the input file's upload.",
      ...(quick ? [`Quick mode: ${items} items per door (full run: 1,000).`] : []),
    ],
    data: run,
  };
}
