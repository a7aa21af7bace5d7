// Azurite's entry for `npm run local --data`: the Blob, Queue and Table servers of the installed
// Azurite, built from its classes as its own CLI (dist/src/azurite.js) builds them, plus a `flush`
// request on the IPC channel that saves every changed store (lokiStores.ts) and answers once the
// files are written. The parent holds a durable commit or an HTTP answer until then, so nothing it
// acknowledged can be lost when a kill takes Azurite with it.
//
// Run as: node azuriteLauncher.js '<LaunchConfig JSON>' with an IPC channel.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { GroupCommit } from "./groupCommit.js";
import { completeInterruptedCommit, LokiStores, lokiDatabaseOf, UnexpectedAzuriteInternalsError, type LokiDatabase, type NamedDatabase } from "./lokiStores.js";
import type { LaunchConfig, LauncherMessage, ParentMessage } from "./launcherProtocol.js";

/** The Azurite this launcher was written against (package-lock.json pins it). */
export const SUPPORTED_AZURITE_VERSION = "3.35.0";

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  metadataStore?: unknown;
  extentMetadataStore?: unknown;
  extentStore?: { deleteExtents(ids: Iterable<string>): Promise<number> };
}

// With a callback: an answer to a parent that just died (EPIPE) must not crash this process
// before it saves on 'disconnect'.
const send = (message: LauncherMessage) => process.send?.(message, undefined, undefined, () => {});

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? "") as LaunchConfig;
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve("azurite/package.json"));
  const version = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  completeInterruptedCommit(config.location);
  const servers = buildServers(config, (module) => require(path.join(root, "dist", "src", module)), version);
  const stores = new LokiStores(databasesOf(servers, version), config.location);
  const saves = new GroupCommit(() => stores.saveAll());
  // Azurite's garbage collectors delete extent files no blob or message refers to any more in
  // memory; on disk an older save may still refer to them, so the save comes first.
  for (const server of [servers.blob, servers.queue]) {
    const extentStore = server.extentStore!;
    const deleteExtents = extentStore.deleteExtents.bind(extentStore);
    extentStore.deleteExtents = async (ids) => {
      await saves.run();
      return deleteExtents(ids);
    };
  }

  for (const server of Object.values(servers)) await server.start();
  const periodic = setInterval(() => void saves.run().catch((error) => process.stderr.write(`Azurite: a periodic save failed: ${describe(error)}\n`)), config.saveIntervalMs);

  let stopping: Promise<void> | undefined;
  const stop = (): void => {
    stopping ??= (async () => {
      clearInterval(periodic);
      await Promise.allSettled(Object.values(servers).map((server) => server.close()));
      await saves.run().catch((error) => process.stderr.write(`Azurite: the last save failed: ${describe(error)}\n`));
      process.exit(0);
    })();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The parent is gone (also when it was killed): save and stop, as Azurite does on SIGTERM. The
  // channel must not keep this process alive once its servers closed.
  process.on("disconnect", stop);
  process.channel?.unref();

  process.on("message", (message: ParentMessage) => {
    if (message?.type !== "flush") return;
    saves.run().then(
      () => send({ type: "flushed", id: message.id }),
      (error) => send({ type: "flushed", id: message.id, error: describe(error) }),
    );
  });
  send({ type: "ready", version });
}

// Azurite's internal modules ship no types: buildServers reads them inside one try, which turns
// any mismatch into UnexpectedAzuriteInternalsError, and databasesOf checks what it relies on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AzuriteModule = any;

function buildServers(config: LaunchConfig, load: (module: string) => AzuriteModule, version: string): Record<"blob" | "queue" | "table", AzuriteServer> {
  try {
    const blobConstants = load("blob/utils/constants");
    const queueConstants = load("queue/utils/constants");
    const tableConstants = load("table/utils/constants");
    const debug = config.debugLogPath !== undefined;
    load("common/Logger").configLogger(debug, config.debugLogPath);
    const at = (name: string) => path.join(config.location, name);
    // Positional arguments as dist/src/azurite.js passes them (3.35.0): host, port, keep-alive,
    // database paths, persistence locations, access log off, debug log, loose, skip API version check.
    const BlobConfiguration = load("blob/BlobConfiguration").default;
    const blob = new (load("blob/BlobServer").default)(
      new BlobConfiguration(
        config.host, config.ports.blob, blobConstants.DEFAULT_BLOB_KEEP_ALIVE_TIMEOUT,
        at(blobConstants.DEFAULT_BLOB_LOKI_DB_PATH), at(blobConstants.DEFAULT_BLOB_EXTENT_LOKI_DB_PATH),
        [{ locationId: "Default", locationPath: at(blobConstants.DEFAULT_BLOB_PERSISTENCE_PATH), maxConcurrency: blobConstants.DEFAULT_WRITE_CONCURRENCY_PER_LOCATION }],
        false, undefined, debug, config.debugLogPath, true, true,
      ),
    );
    const QueueConfiguration = load("queue/QueueConfiguration").default;
    const queue = new (load("queue/QueueServer").default)(
      new QueueConfiguration(
        config.host, config.ports.queue, queueConstants.DEFAULT_QUEUE_KEEP_ALIVE_TIMEOUT,
        at(queueConstants.DEFAULT_QUEUE_LOKI_DB_PATH), at(queueConstants.DEFAULT_QUEUE_EXTENT_LOKI_DB_PATH),
        [{ locationId: "Default", locationPath: at(queueConstants.DEFAULT_QUEUE_PERSISTENCE_PATH), maxConcurrency: 1 }],
        false, undefined, debug, config.debugLogPath, true, true,
      ),
    );
    const TableConfiguration = load("table/TableConfiguration").default;
    // TableConfiguration takes debug before access log, unlike the other two.
    const table = new (load("table/TableServer").default)(
      new TableConfiguration(
        config.host, config.ports.table, tableConstants.DEFAULT_TABLE_KEEP_ALIVE_TIMEOUT,
        at(tableConstants.DEFAULT_TABLE_LOKI_DB_PATH), debug, false, undefined, config.debugLogPath, true, true,
      ),
    );
    return { blob, queue, table };
  } catch (error) {
    throw new UnexpectedAzuriteInternalsError(`azurite ${version}: could not build its servers (${describe(error)})`);
  }
}

function databasesOf(servers: Record<"blob" | "queue" | "table", AzuriteServer>, version: string): NamedDatabase[] {
  const { blob, queue, table } = servers;
  const expect = (check: () => LokiDatabase) => {
    try {
      return check();
    } catch (error) {
      throw new UnexpectedAzuriteInternalsError(`azurite ${version}: ${describe(error)}`);
    }
  };
  for (const [name, server] of [["blob", blob], ["queue", queue]] as const) {
    if (typeof server.extentStore?.deleteExtents !== "function") throw new UnexpectedAzuriteInternalsError(`azurite ${version}: ${name} server: no extentStore.deleteExtents`);
  }
  return [
    { name: "blob extents", db: expect(() => lokiDatabaseOf("blob server .extentMetadataStore", blob.extentMetadataStore)) },
    { name: "queue extents", db: expect(() => lokiDatabaseOf("queue server .extentMetadataStore", queue.extentMetadataStore)) },
    { name: "blob metadata", db: expect(() => lokiDatabaseOf("blob server .metadataStore", blob.metadataStore)) },
    { name: "queue metadata", db: expect(() => lokiDatabaseOf("queue server .metadataStore", queue.metadataStore)) },
    { name: "tables", db: expect(() => lokiDatabaseOf("table server .metadataStore", table.metadataStore)) },
  ];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main().catch((error) => {
  const message =
    error instanceof UnexpectedAzuriteInternalsError
      ? `The installed Azurite is not built as local-host/storage/azuriteLauncher.ts expects (written for azurite ${SUPPORTED_AZURITE_VERSION}): ${error.message}. Reinstall the version package-lock.json pins (npm ci), or update the launcher for this version.`
      : `Azurite could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  send({ type: "failed", message });
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
