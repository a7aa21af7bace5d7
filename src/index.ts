// The Functions entry point: registering a function is importing its module. setup comes first.
import "./setup.js";
import "./functions/health.js";
