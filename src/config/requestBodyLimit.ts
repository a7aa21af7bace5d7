import type { DocbatchSettings } from "./settings.js";

/**
 * Room for the multipart framing and the small form fields around the largest part: a body this
 * much over docbatch's own file limit still reaches docbatch, which answers in its API's format.
 */
export const MULTIPART_ALLOWANCE_BYTES = 1024 * 1024;

/**
 * FUNCTIONS_REQUEST_BODY_SIZE_LIMIT for a deployment: one multipart allowance above the largest
 * request body docbatch accepts (an OpenAI Files upload, an upload-batch document), so that the
 * Functions host never refuses a body docbatch would take. infra/main.bicep computes the same
 * (checked by test/deploy/requestBodyLimit.test.ts).
 */
export function requestBodyLimitFor(settings: Pick<DocbatchSettings, "openAiBatches" | "uploadBatches">): number {
  return Math.max(settings.openAiBatches.maxFileBytes, settings.uploadBatches.maxDocumentBytes) + MULTIPART_ALLOWANCE_BYTES;
}
