import type { LogEntry } from "../../local-host/index.js";

/** Local host log sink for benchmarks: per-invocation chatter would cost time and drown the table; warnings and errors still show. */
export function quietLog(entry: LogEntry): void {
  if (entry.level === "warning" || entry.level === "error" || entry.level === "critical") {
    console.error(`${entry.functionName ? `[${entry.functionName}] ` : ""}${entry.message}`);
  }
}
