import { getAppServices } from "../services/appServices.js";
import { registerEngineFunctions } from "./engineFunctions.js";

registerEngineFunctions(() => getAppServices().engine);
