import { eventTypeName, parseJsonText, type HistoryEvent } from "./historyEvents.js";
import { EventType } from "./historyEvents.js";
import type { Instance } from "./engine.js";

/** Timestamps as the extension's HTTP API writes them (second precision, UTC). */
function isoSeconds(date: Date | string): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export interface StatusOptions {
  showInput?: boolean;
  showHistory?: boolean;
  showHistoryOutput?: boolean;
}

/** The status object of the extension's HTTP API (what DurableOrchestrationStatus is built from). */
export function statusJson(instance: Instance, options: StatusOptions = {}): Record<string, unknown> {
  const runtimeStatus = instance.suspended && instance.status === "Running" ? "Suspended" : instance.status;
  const json: Record<string, unknown> = {
    name: instance.name,
    instanceId: instance.instanceId,
    runtimeStatus,
    input: options.showInput === false ? null : instance.input === undefined ? null : parseJsonText(instance.input),
    customStatus: instance.customStatus ?? null,
    output: instance.output ?? null,
    createdTime: isoSeconds(instance.createdAt),
    lastUpdatedTime: isoSeconds(instance.lastUpdatedAt),
  };
  if (options.showHistory) json.historyEvents = historyJson(instance.history, options.showHistoryOutput ?? false);
  return json;
}

/** A readable history like the extension's `historyEvents`: scheduling events carry their function names. */
function historyJson(history: HistoryEvent[], showOutput: boolean): Record<string, unknown>[] {
  const names = new Map<number, string>();
  const result: Record<string, unknown>[] = [];
  for (const event of history) {
    if (event.EventType === EventType.OrchestratorStarted || event.EventType === EventType.OrchestratorCompleted) continue;
    const entry: Record<string, unknown> = { EventType: eventTypeName(event.EventType), Timestamp: event.Timestamp };
    if (event.EventId >= 0) entry.EventId = event.EventId;
    if (event.EventType === EventType.TaskScheduled || event.EventType === EventType.SubOrchestrationInstanceCreated) {
      names.set(event.EventId, event.Name as string);
      entry.FunctionName = event.Name;
      if (event.InstanceId) entry.InstanceId = event.InstanceId;
    } else if (event.EventType === EventType.ExecutionStarted) {
      entry.FunctionName = event.Name;
    } else if (event.TaskScheduledId !== undefined) {
      entry.FunctionName = names.get(event.TaskScheduledId as number);
      entry.TaskScheduledId = event.TaskScheduledId;
    }
    if (event.Name !== undefined && entry.FunctionName === undefined) entry.Name = event.Name;
    if (event.FireAt !== undefined) entry.FireAt = event.FireAt;
    if (event.TimerId !== undefined) entry.TimerId = event.TimerId;
    if (event.OrchestrationStatus !== undefined) entry.OrchestrationStatus = event.OrchestrationStatus;
    if (event.Reason !== undefined) entry.Reason = event.Reason;
    if (event.Details !== undefined) entry.Details = event.Details;
    if (showOutput && event.Result !== undefined) entry.Result = parseJsonText(event.Result);
    if (showOutput && event.Input !== undefined && event.EventType === EventType.EventRaised) entry.Input = parseJsonText(event.Input);
    result.push(entry);
  }
  return result;
}
