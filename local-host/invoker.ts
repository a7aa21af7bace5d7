import { randomUUID } from "node:crypto";
import type { FunctionsCore, LogLevel, RegisteredFunction, RpcInvocationResponse, RpcTypedData } from "./functionsCore.js";

export interface InvocationRequest {
  inputData: { name: string; data: RpcTypedData }[];
  triggerMetadata?: Record<string, RpcTypedData>;
  invocationId?: string;
  /** Wraps the registered handler before preInvocation hooks see it (e.g. to time it). */
  wrapHandler?: (handler: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown;
}

export interface InvocationOutcome {
  invocationId: string;
  result: unknown;
  response: RpcInvocationResponse;
}

/**
 * Runs one invocation the way the Node worker does: the library's InvocationModel builds the
 * real InvocationContext and trigger input from RPC-shaped data, preInvocation hooks may swap
 * inputs or handler, postInvocation hooks see result and error, then the model converts the
 * result into the RPC response (for streamed HTTP that writes to the proxy response).
 */
export class Invoker {
  private readonly appHookData: Record<string, unknown> = {};
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly core: FunctionsCore) {}

  /** Resolves once every invocation running at the call has ended (however it ended). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  invoke(fn: RegisteredFunction, request: InvocationRequest): Promise<InvocationOutcome> {
    const running = this.run(fn, request);
    this.inFlight.add(running);
    const done = () => this.inFlight.delete(running);
    running.then(done, done);
    return running;
  }

  get hookData(): Record<string, unknown> {
    return this.appHookData;
  }

  private async run(fn: RegisteredFunction, request: InvocationRequest): Promise<InvocationOutcome> {
    const model = this.core.programmingModel;
    if (!model) throw new Error("The app registered no programming model (no functions were registered).");
    const invocationId = request.invocationId ?? randomUUID();
    const coreCtx: { invocationId: string; request: unknown; metadata: unknown; state?: string; log: (level: LogLevel, category: "user" | "system", message: string) => void } = {
      invocationId,
      request: {
        invocationId,
        functionId: fn.name,
        inputData: request.inputData,
        triggerMetadata: request.triggerMetadata ?? {},
      },
      metadata: fn.metadata,
      state: undefined,
      log: (level, category, message) => this.core.logSink({ level, category, message, functionName: fn.name, invocationId }),
    };
    const invocationModel = model.getInvocationModel(coreCtx);
    const { context, inputs } = await invocationModel.getArguments();

    const hookData: Record<string, unknown> = {};
    const pre = { hookData, appHookData: this.appHookData, invocationContext: context, functionCallback: request.wrapHandler ? request.wrapHandler(fn.callback) : fn.callback, inputs };
    coreCtx.state = "preInvocationHooks";
    try {
      await this.core.runHooks("preInvocation", pre);
    } finally {
      coreCtx.state = undefined;
    }

    let result: unknown;
    let error: unknown;
    try {
      result = await invocationModel.invokeFunction(context, pre.inputs, pre.functionCallback);
    } catch (err) {
      error = err;
    }
    const post = { hookData, appHookData: this.appHookData, invocationContext: context, inputs: pre.inputs, result, error };
    coreCtx.state = "postInvocationHooks";
    try {
      await this.core.runHooks("postInvocation", post);
    } finally {
      coreCtx.state = undefined;
    }
    if (post.error !== undefined && post.error !== null) throw post.error;
    const response = await invocationModel.getResponse(context, post.result);
    return { invocationId, result: post.result, response };
  }
}

/** Decodes an RPC return value the way the Durable extension reads it into JSON. */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return null;
  if (data.json !== undefined) return JSON.parse(data.json);
  if (data.string !== undefined) return data.string;
  if (data.int !== undefined) return Number(data.int);
  if (data.double !== undefined) return data.double;
  if (data.bytes !== undefined) return Buffer.from(data.bytes).toString("base64");
  return null;
}
