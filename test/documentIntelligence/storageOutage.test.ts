import { describeOutage } from "./storageOutageCases.js";

describeOutage("refusing connections");
