// The Functions entry point: registering a function is importing its module. setup comes first.
import "./setup.js";
import "./functions/lifecycle.js";
import "./functions/health.js";
import "./functions/documentIntelligenceApi.js";
import "./functions/batchOrchestrators.js";
import "./functions/batchActivities.js";
import "./functions/purgeTimer.js";
