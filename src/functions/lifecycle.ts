import { app } from "@azure/functions";
import { closeAnalyzerRegistry } from "../analyzers/registry.js";

// OCR workers are threads: stop them when the host shuts the worker down, so it exits promptly.
app.hook.appTerminate(async () => {
  await closeAnalyzerRegistry();
});
