import * as df from "durable-functions";
import { analyzeBatchOrchestrator, analyzeBatchPartOrchestrator } from "../orchestration/analyzeBatchOrchestration.js";
import { Orchestrators } from "../orchestration/names.js";

df.app.orchestration(Orchestrators.analyzeBatch, analyzeBatchOrchestrator);
df.app.orchestration(Orchestrators.analyzeBatchPart, analyzeBatchPartOrchestrator);
