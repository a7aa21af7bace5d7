import type { RegisteredFunction, RpcTypedData } from "./functionsCore.js";
import type { DurableClientData } from "./durable/clientBinding.js";

/**
 * Input bindings the host fills besides the trigger. Only `durableClient` is supported: it
 * arrives as JSON, which the library parses into the object `df.getClient()` expects.
 */
export function extraInputData(fn: RegisteredFunction, clientData: () => DurableClientData): { name: string; data: RpcTypedData }[] {
  const inputs: { name: string; data: RpcTypedData }[] = [];
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (name === fn.trigger.name || binding.direction !== "in") continue;
    const type = binding.type.toLowerCase();
    if (type === "durableclient" || type === "orchestrationclient") {
      inputs.push({ name, data: { string: JSON.stringify(clientData()) } });
    }
  }
  return inputs;
}
