import { createRequire } from "node:module";

/**
 * The `@azure/functions-core` module that the Functions Node worker normally supplies. The
 * `@azure/functions` library hands every registration, hook and its programming model to it, so
 * by supplying it we see exactly the metadata Azure would see.
 */
export interface CoreBinding {
  type: string;
  direction?: "in" | "out" | "inout";
  name?: string;
  [property: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
}

export interface RegisteredFunction {
  name: string;
  metadata: CoreFunctionMetadata;
  callback: (...args: unknown[]) => unknown;
  /** The trigger binding, with its generated binding name. */
  trigger: CoreBinding & { name: string };
}

/** The parts of the library's ProgrammingModel / InvocationModel the host drives. */
export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: (...args: unknown[]) => unknown): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: unknown): InvocationModel;
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
}
export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number;
  double?: number;
  http?: unknown;
}
export interface RpcInvocationResponse {
  invocationId?: string;
  outputData?: { name: string; data: RpcTypedData | undefined }[];
  returnValue?: RpcTypedData | null;
}

export type HookName = "appStart" | "appTerminate" | "preInvocation" | "postInvocation" | "log";
export type LogLevel = "trace" | "debug" | "information" | "warning" | "error" | "critical" | "none";
export interface LogEntry {
  level: LogLevel;
  category: "user" | "system";
  message: string;
  functionName?: string;
  invocationId?: string;
}
export type LogSink = (entry: LogEntry) => void;

class Disposable {
  #callOnDispose?: () => void;
  constructor(callOnDispose: () => void) {
    this.#callOnDispose = callOnDispose;
  }
  dispose(): void {
    this.#callOnDispose?.();
    this.#callOnDispose = undefined;
  }
}

export class FunctionsCore {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<HookName, Set<(context: unknown) => unknown>>();
  programmingModel?: ProgrammingModel;

  constructor(public logSink: LogSink) {}

  /** The module object `require("@azure/functions-core")` returns. */
  readonly api = {
    Disposable,
    registerFunction: (metadata: CoreFunctionMetadata, callback: (...args: unknown[]) => unknown) => {
      const key = metadata.name.toLowerCase();
      if (this.functions.has(key)) {
        // The worker refuses duplicates too (function names are case-insensitive in the host).
        throw new Error(`A function with name "${metadata.name}" has already been registered.`);
      }
      const triggerEntry = Object.entries(metadata.bindings).find(([, binding]) => binding.type.toLowerCase().endsWith("trigger"));
      if (!triggerEntry) throw new Error(`Function "${metadata.name}" has no trigger binding.`);
      this.functions.set(key, {
        name: metadata.name,
        metadata,
        callback,
        trigger: { ...triggerEntry[1], name: triggerEntry[0] },
      });
      return new Disposable(() => this.functions.delete(key));
    },
    registerHook: (hookName: HookName, callback: (context: unknown) => unknown) => {
      let set = this.hooks.get(hookName);
      if (!set) this.hooks.set(hookName, (set = new Set()));
      set.add(callback);
      return new Disposable(() => set.delete(callback));
    },
    setProgrammingModel: (model: ProgrammingModel) => {
      this.programmingModel = model;
    },
    getProgrammingModel: () => this.programmingModel,
    log: (level: LogLevel, category: "user" | "system", message: string) => this.logSink({ level, category, message }),
  };

  getFunction(name: string): RegisteredFunction | undefined {
    return this.functions.get(name.toLowerCase());
  }

  /** Runs the hooks of one kind in registration order, as the worker does. */
  async runHooks(hookName: HookName, context: unknown): Promise<void> {
    for (const callback of [...(this.hooks.get(hookName) ?? [])]) await callback(context);
  }
}

const CORE_MODULE = "@azure/functions-core";
const CORE_ID = "\0local-host:@azure/functions-core";

/**
 * Makes `require("@azure/functions-core")` return our API from anywhere in the process. The name
 * is intercepted in the CommonJS resolver rather than placing a file in node_modules because a
 * symlinked node_modules resolves from @azure/functions' real path.
 */
export function installCoreModule(api: object): void {
  const Module = createRequire(import.meta.url)("node:module") as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
    new (id: string): { exports: unknown; loaded: boolean; filename: string };
  };
  const original = Module._resolveFilename;
  if (!(original as { localHost?: boolean }).localHost) {
    const patched = function (this: unknown, request: string, ...rest: unknown[]) {
      return request === CORE_MODULE ? CORE_ID : original.call(this, request, ...rest);
    };
    (patched as { localHost?: boolean }).localHost = true;
    Module._resolveFilename = patched;
  }
  const mod = new Module(CORE_ID);
  mod.filename = CORE_ID;
  mod.exports = api;
  mod.loaded = true;
  Module._cache[CORE_ID] = mod;
}
