// The Functions entry point: registering a function is importing its module. setup comes first.
import "./setup.js";
import "./functions/lifecycle.js";
import "./functions/health.js";
import "./functions/documentIntelligenceApi.js";
import "./functions/dashboardApi.js";
import "./functions/openAiApi.js";
import "./functions/uploadBatchApi.js";
import "./functions/engine.js";
import "./functions/purgeTimer.js";
