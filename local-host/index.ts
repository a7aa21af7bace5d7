import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { AddressInfo } from "node:net";
import { FunctionsCore, installCoreModule, type LogEntry, type LogSink, type RegisteredFunction } from "./functionsCore.js";
import { Invoker, fromTypedData } from "./invoker.js";
import { findHostJson, readHostConfig } from "./hostConfig.js";
import { RouteTable } from "./routeTable.js";
import { handleHttpTrigger } from "./httpTrigger.js";
import { hostRequestBodyLimit } from "./requestBodyLimit.js";
import { extraInputData } from "./extraInputs.js";
import { TimerTriggers } from "./timerTriggers.js";
import { captureWorkerProxy, singleUseConnections } from "./workerProxy.js";
import { NODE_MAX_HEADER_SIZE, requestLimitStatus } from "./requestLimits.js";
import { FileInstanceStore, StorageOrderedInstanceStore, type InstanceStore } from "./durable/instanceStore.js";
import type { GroupedStorageBarrier } from "./storage/storageBarrier.js";
import { DurableEngine, type EngineStats, type Instance, type OrchestratorState } from "./durable/engine.js";
import { ActivityRunner } from "./durable/activityRunner.js";
import { measureSynchronousRun, type ReplayCost } from "./durable/replayCost.js";
import { FaultRegistry, type FaultInjector } from "./durable/faults.js";
import { durableClientData, WEBHOOK_PATH, type DurableClientData } from "./durable/clientBinding.js";
import { handleDurableApi } from "./durable/httpApi.js";
import { carriesKey, DURABLE_SYSTEM_KEY_NAME, newSystemKey } from "./durable/webhookKey.js";
import { toJsonText, type HistoryEvent } from "./durable/historyEvents.js";

export type { FaultInjector, FaultHandle, ActivityFaultOptions } from "./durable/faults.js";
export type { LogEntry, LogSink } from "./functionsCore.js";
export type { HistoryEvent } from "./durable/historyEvents.js";
export { EventType } from "./durable/historyEvents.js";

export interface LocalHostOptions {
  /** Compiled app entry, e.g. path to dist/src/index.js. */
  entry: string;
  /** App settings, applied to process.env before the app loads. */
  env?: Record<string, string>;
  host?: string;
  port?: number;
  /** Default: host.json next to the package.json above entry. */
  hostJsonPath?: string;
  /** Default from host.json durableTask.maxConcurrentActivityFunctions, else 10. */
  maxConcurrentActivities?: number;
  /** Default 32, as the extension delivers them. */
  maxCompletionsPerReplay?: number;
  /** Default false (tests fire timers on demand). */
  runTimerSchedules?: boolean;
  /** Where function and host logs go; default: the console (debug and trace dropped). */
  log?: LogSink;
  /**
   * A folder that keeps the durable instances across restarts; on start, every unfinished
   * orchestration there resumes. Default: instances live in memory only.
   */
  durableStateDir?: string;
  /**
   * With a durableStateDir on disk storage (`npm run local --data`): instance changes are written
   * only after the storage writes before them are saved, and an answer to a request that may
   * change something (not GET/HEAD) is sent only once what it did is saved, so nothing
   * acknowledged is lost when a kill takes storage with it.
   */
  storageBarrier?: GroupedStorageBarrier;
}

export interface FunctionInfo {
  name: string;
  trigger: string;
  route?: string;
  methods?: string[];
}

export interface InstanceSnapshot {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: Date;
  lastUpdatedTime: Date;
  parentInstanceId?: string;
  /** How many times the instance continued as new. */
  generations: number;
  replays: number;
  history: readonly HistoryEvent[];
}

export interface DurableInspector {
  getInstance(instanceId: string): InstanceSnapshot | undefined;
  listInstances(): InstanceSnapshot[];
  /** Resolves with the final status once the instance completed, failed or was terminated. */
  waitForInstance(instanceId: string, options?: { timeoutMs?: number }): Promise<InstanceSnapshot>;
  stats(options?: { perInstance?: boolean }): EngineStats;
  /**
   * Storage rolled back to its last save (Azurite restarted): drops every instance from memory,
   * and instance changes not yet written, since they may depend on lost writes.
   */
  unload(): void;
  /**
   * Resolves once every function invocation running at the call has ended, e.g. activities that
   * started before storage was lost: a new Azurite must not see their later writes.
   */
  invocationsSettled(): Promise<void>;
  /** Takes up the stored instances again (after unload()); returns how many are unfinished. */
  resumeFromStore(): number;
}

export interface LocalHost {
  /** http://127.0.0.1:<port>, no trailing slash. */
  url: string;
  /** The host's system keys, by name, as the portal lists them (`durabletask_extension`: the Durable webhooks' key). */
  systemKeys: Readonly<Record<string, string>>;
  functions: readonly FunctionInfo[];
  fireTimer(functionName: string): Promise<void>;
  faults: FaultInjector;
  durable: DurableInspector;
  close(): Promise<void>;
}

let started = false;

/**
 * Runs the compiled app the way the Functions host and its Durable extension would, in this
 * process: registrations through `@azure/functions`, HTTP triggers on loopback, orchestrations
 * through the `durable-functions` replay engine, timers, the durable client HTTP API.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  if (started) throw new Error("The app module loads once per process: only one local host can run in it.");
  started = true;
  const entry = path.resolve(options.entry);
  Object.assign(process.env, options.env ?? {});
  const hostConfig = readHostConfig(options.hostJsonPath ?? findHostJson(entry));
  const log = options.log ?? consoleSink;

  // Listen first: the app origin must be known before the app loads (WEBSITE_HOSTNAME).
  const bindHost = options.host ?? "127.0.0.1";
  const server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, maxHeaderSize: NODE_MAX_HEADER_SIZE });
  await listen(server, options.port ?? 0, bindHost);
  const url = `http://${bindHost.includes(":") ? `[${bindHost}]` : bindHost}:${(server.address() as AddressInfo).port}`;
  const rpcServer = http.createServer();
  await listen(rpcServer, 0, "127.0.0.1");
  const rpcBaseUrl = `http://127.0.0.1:${(rpcServer.address() as AddressInfo).port}/durabletask/`;
  process.env.WEBSITE_HOSTNAME = new URL(url).host;

  const core = new FunctionsCore(log);
  installCoreModule(core.api);
  await import(pathToFileURL(entry).href);
  if (!core.programmingModel) throw new Error(`${entry} registered no functions through @azure/functions.`);
  const { capabilities, proxyServer } = await captureWorkerProxy(() => core.programmingModel!.getCapabilities({}));
  const proxyUri = capabilities.HttpUri;
  const proxyAgent = new http.Agent({ keepAlive: true });
  const singleUseAgent = singleUseConnections();
  const proxy = proxyUri ? { port: Number(new URL(proxyUri).port), agent: proxyAgent, singleUseAgent } : undefined;

  const invoker = new Invoker(core);
  await core.runHooks("appStart", { hookData: invoker.hookData, appHookData: invoker.hookData, functionAppDirectory: path.dirname(hostConfig.path ?? entry) });

  const functions = [...core.functions.values()];
  // The host's keys are made per run here (nothing to keep them in): a link from an earlier run gets 401.
  const durableKey = newSystemKey();
  const clientData = (): DurableClientData => durableClientData(url, rpcBaseUrl, hostConfig.hubName, durableKey);
  const extraInputs = (fn: RegisteredFunction) => extraInputData(fn, clientData);
  const triggerOf = (name: string) => core.getFunction(name)?.trigger.type.toLowerCase();

  // ---- Durable -----------------------------------------------------------------------------
  const faults = new FaultRegistry();
  const activities = new ActivityRunner(
    async (name, input, instanceId) => {
      const fn = core.getFunction(name);
      if (!fn || triggerOf(name) !== "activitytrigger") throw new Error(`The function '${name}' doesn't exist, is disabled, or is not an activity function.`);
      const outcome = await invoker.invoke(fn, {
        inputData: [{ name: fn.trigger.name, data: { json: toJsonText(input) } }, ...extraInputs(fn)],
        triggerMetadata: { InstanceId: { string: instanceId } },
      });
      return fromTypedData(outcome.response.returnValue);
    },
    options.maxConcurrentActivities ?? hostConfig.maxConcurrentActivityFunctions ?? 10,
    faults,
  );
  const fileStore = options.durableStateDir ? new FileInstanceStore(options.durableStateDir) : undefined;
  const orderedStore = fileStore && options.storageBarrier ? new StorageOrderedInstanceStore(fileStore, options.storageBarrier) : undefined;
  const store: InstanceStore | undefined = orderedStore ?? fileStore;
  const engine = new DurableEngine({
    isOrchestrator: (name) => triggerOf(name) === "orchestrationtrigger",
    runOrchestrator: async (name, triggerInput, instanceId) => {
      const fn = core.getFunction(name)!;
      // The replay itself is the handler's synchronous run; only that is timed (see replayCost.ts).
      let cost: ReplayCost | undefined;
      const timed = (handler: (...args: unknown[]) => unknown) => measureSynchronousRun(handler, (measured) => (cost = measured));
      try {
        const outcome = await invoker.invoke(fn, {
          inputData: [{ name: fn.trigger.name, data: { string: JSON.stringify(triggerInput) } }, ...extraInputs(fn)],
          triggerMetadata: { InstanceId: { string: instanceId } },
          wrapHandler: timed,
        });
        return { state: fromTypedData(outcome.response.returnValue) as OrchestratorState, cost };
      } catch (error) {
        // The library reports orchestrator failures with its state appended to the message.
        const message = (error as Error)?.message ?? String(error);
        const marker = message.indexOf("$OutOfProcData$:");
        if (marker >= 0) {
          const state = JSON.parse(message.slice(marker + "$OutOfProcData$:".length)) as OrchestratorState;
          return { state, error: state.error ?? message.slice(0, marker).trim(), stack: (error as Error).stack, cost };
        }
        return { error: message, stack: (error as Error)?.stack, cost };
      }
    },
    runActivity: (name, input, instanceId) => activities.deliver(name, input, instanceId),
    maxCompletionsPerReplay: options.maxCompletionsPerReplay ?? 32,
    maxConcurrentOrchestrations: hostConfig.maxConcurrentOrchestratorFunctions ?? 10,
    // Long timers are split by the library above this; a local run never needs that.
    maximumShortTimerDuration: "3650.00:00:00",
    longRunningTimerIntervalDuration: "1.00:00:00",
    store,
  });
  const durableApi = {
    engine,
    isOrchestrator: (name: string) => triggerOf(name) === "orchestrationtrigger",
    clientData,
  };

  // ---- HTTP ----------------------------------------------------------------------------------
  const routes = new RouteTable(functions, hostConfig.routePrefix);
  const barrier = options.storageBarrier;
  const httpContext = { invoker, proxy, extraInputs, log, maxRequestBodyBytes: hostRequestBodyLimit(process.env), beforeAnswer: barrier && (() => barrier.flush()) };
  server.on("request", (req, res) => {
    const tooLarge = requestLimitStatus(req);
    // Refused before routing, as the host's web server does (its answer has no body either).
    if (tooLarge) return void res.writeHead(tooLarge, { Connection: "close" }).end();
    const pathname = new URL(req.url ?? "/", "http://local").pathname;
    const fail = (error: unknown) => {
      log({ level: "error", category: "system", message: `Local host request error: ${(error as Error)?.stack ?? error}` });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    };
    if (pathname === WEBHOOK_PATH || pathname.startsWith(`${WEBHOOK_PATH}/`)) {
      // As the host: the extension's webhooks need its system key (the loopback RPC endpoint does not).
      if (!carriesKey(req, durableKey)) return void res.writeHead(401).end();
      handleDurableApi(durableApi, req, res, pathname.slice(WEBHOOK_PATH.length)).catch(fail);
      return;
    }
    const found = routes.lookup(req.method ?? "GET", pathname);
    if (found.kind === "notFound") return void res.writeHead(404).end();
    if (found.kind === "methodNotAllowed") return void res.writeHead(405, { Allow: found.allow.join(", ") }).end();
    handleHttpTrigger(httpContext, found.fn, found.params, req, res).catch(fail);
  });
  rpcServer.on("request", (req, res) => {
    const pathname = new URL(req.url ?? "/", "http://local").pathname;
    if (!pathname.startsWith("/durabletask/")) return void res.writeHead(404).end();
    handleDurableApi(durableApi, req, res, pathname.slice("/durabletask".length)).catch((error) => {
      log({ level: "error", category: "system", message: `Durable RPC error: ${(error as Error)?.stack ?? error}` });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  // ---- Timers --------------------------------------------------------------------------------
  const timers = new TimerTriggers(
    functions,
    async (fn, timer) => {
      await invoker.invoke(fn, { inputData: [{ name: fn.trigger.name, data: { json: JSON.stringify(timer) } }, ...extraInputs(fn)], triggerMetadata: {} });
    },
    (name, error) => log({ level: "error", category: "system", message: `Timer function '${name}' failed: ${(error as Error)?.stack ?? error}`, functionName: name }),
  );
  if (options.runTimerSchedules) timers.start();
  const resumed = engine.resumeFromStore();
  if (resumed > 0) log({ level: "warning", category: "system", message: `Resumed ${resumed} unfinished orchestration instance(s) from ${options.durableStateDir}.` });

  const snapshot = (instance: Instance): InstanceSnapshot => ({
    instanceId: instance.instanceId,
    name: instance.name,
    runtimeStatus: instance.suspended && instance.status === "Running" ? "Suspended" : instance.status,
    input: instance.input === undefined ? undefined : JSON.parse(instance.input),
    output: instance.output,
    customStatus: instance.customStatus,
    createdTime: instance.createdAt,
    lastUpdatedTime: instance.lastUpdatedAt,
    parentInstanceId: instance.parent?.instanceId,
    generations: instance.generations,
    replays: instance.replays,
    history: [...instance.history],
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    systemKeys: { [DURABLE_SYSTEM_KEY_NAME]: durableKey },
    functions: functions.map((fn) => ({
      name: fn.name,
      trigger: fn.trigger.type,
      ...(fn.trigger.type.toLowerCase() === "httptrigger"
        ? { route: [hostConfig.routePrefix, String(fn.trigger.route ?? fn.name)].filter(Boolean).join("/"), methods: fn.trigger.methods as string[] | undefined }
        : {}),
    })),
    fireTimer: (name) => timers.fire(name),
    faults,
    durable: {
      getInstance: (id) => {
        const instance = engine.get(id);
        return instance && snapshot(instance);
      },
      listInstances: () => engine.list().map(snapshot),
      waitForInstance: async (id, waitOptions) => snapshot(await engine.waitFor(id, waitOptions?.timeoutMs)),
      stats: (statsOptions) => engine.stats(activities.executed, statsOptions?.perInstance ?? false),
      unload: () => {
        orderedStore?.discardPending();
        engine.unloadAll();
      },
      invocationsSettled: () => invoker.settled(),
      resumeFromStore: () => engine.resumeFromStore(),
    },
    close: () =>
      (closing ??= (async () => {
        await timers.stop();
        engine.close();
        await core.runHooks("appTerminate", { hookData: invoker.hookData, appHookData: invoker.hookData }).catch(() => {});
        proxyAgent.destroy();
        singleUseAgent.destroy();
        await Promise.all([closeServer(server), closeServer(rpcServer), proxyServer ? closeServer(proxyServer) : undefined]);
      })()),
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const LEVELS = ["trace", "debug", "information", "warning", "error", "critical"];

function consoleSink(entry: LogEntry): void {
  const level = LEVELS.indexOf(entry.level);
  if (level < 2 || (entry.category === "system" && level < 3)) return;
  const where = entry.functionName ? `[${entry.functionName}] ` : "";
  (level >= 3 ? console.error : console.log)(`${where}${entry.message}`);
}
