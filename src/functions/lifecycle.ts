import { app } from "@azure/functions";
import { closeAnalyzerRegistry } from "../analyzers/registry.js";
import { hostShutdown } from "../engine/hostShutdown.js";

// On shutdown, items in flight are given back first (their activities throw, so Durable delivers
// them again on another instance) and only then OCR workers stop, so the worker exits promptly
// and no document is failed for the pool closing under it.
/** How long items in flight get to give themselves back before analyzers stop anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

app.hook.appTerminate(async () => {
  hostShutdown.begin();
  await hostShutdown.drained(SHUTDOWN_GRACE_MS);
  await closeAnalyzerRegistry();
});
