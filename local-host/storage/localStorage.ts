import { startAzurite, type StartAzuriteOptions } from "../azurite.js";
import { AzuriteSupervisor } from "./azuriteSupervisor.js";
import { GroupedStorageBarrier } from "./storageBarrier.js";

export interface LocalStorage {
  supervisor: AzuriteSupervisor;
  /** On disk only: what the local host waits for before it makes anything durable or acknowledges it. */
  storageBarrier?: GroupedStorageBarrier;
}

/**
 * Azurite as `npm run local` runs it: supervised (restarted when it dies, on disk), and on disk
 * with the storage barrier the local host holds durable commits and answers behind.
 */
export async function startLocalStorage(options: StartAzuriteOptions & { log(message: string): void }): Promise<LocalStorage> {
  const { log, ...azuriteOptions } = options;
  const supervisor = await AzuriteSupervisor.start({ start: () => startAzurite(azuriteOptions), restartable: azuriteOptions.location !== undefined, log });
  if (!azuriteOptions.location) return { supervisor };
  // Logged when saving starts failing and when it works again, not once per round.
  let failing = false;
  const storageBarrier = new GroupedStorageBarrier({
    saveStorage: async () => {
      await supervisor.flush();
      if (failing) log("Azurite saves its stores again.");
      failing = false;
    },
    onRoundFailed: (error) => {
      if (!failing) log(`Azurite did not save its stores (${(error as Error)?.message ?? error}): orchestration progress is not kept, and requests that change something answer 503, until it does.`);
      failing = true;
    },
  });
  return { supervisor, storageBarrier };
}
