import { kindRegistry, type KindRegistry } from "../engine/kindRegistry.js";
import { createDocumentIntelligenceKind, type DocumentIntelligenceKindServices } from "./documentIntelligence/kind.js";
import { createOpenAiBatchKind, type OpenAiBatchKindServices } from "./openai/kind.js";
import { createUploadBatchKind, type UploadBatchKindServices } from "./uploadBatch/kind.js";

/** What the kinds need from the app (src/services/appServices.ts supplies it). */
export type KindServices = DocumentIntelligenceKindServices & UploadBatchKindServices & OpenAiBatchKindServices;

/** Every batch kind this app serves. Adding a kind is one line here. */
export function createKindRegistry(services: () => KindServices): KindRegistry {
  return kindRegistry([
    createDocumentIntelligenceKind(services),
    createUploadBatchKind(services),
    createOpenAiBatchKind(services),
  ]);
}
