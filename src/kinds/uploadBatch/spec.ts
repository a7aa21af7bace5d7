import type { OcrLevel } from "../../analyzers/llmExtraction/documentText.js";
import type { JsonSchema } from "../../analyzers/llmExtraction/extractionSchema.js";
import type { BatchRecord } from "../../engine/model.js";

export const UPLOAD_BATCH_KIND = "uploadBatch";

/** How the batch's documents are processed, fixed by `process` (the UploadCommand as read). */
export interface UploadBatchCommand {
  prompt?: string;
  /** The JSON Schema the result must match (an example-shaped schema already converted). */
  schema?: JsonSchema;
  ocr: OcrLevel;
  llm: "DEFAULT" | "NANO" | "MINI" | "HIGH";
  textOnly: boolean;
  pageRange?: number[];
}

/** BatchRecord.spec of an upload batch. */
export interface UploadBatchSpec {
  /** Uploads given an index so far: the next upload gets this one. */
  documents: number;
  command?: UploadBatchCommand;
}

export function uploadSpecOf(batch: Pick<BatchRecord, "spec">): UploadBatchSpec {
  return JSON.parse(batch.spec) as UploadBatchSpec;
}
