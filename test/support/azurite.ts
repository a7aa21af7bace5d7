// Tests use the same Azurite launcher as `npm run local`.
export * from "../../local-host/azurite.js";
