import { describeOutage } from "./storageOutageCases.js";

describeOutage("accepting connections but never answering");
