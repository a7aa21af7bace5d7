import type { OpenAiRoute } from "./inputValidation.js";
import type { BatchRecord } from "../../engine/model.js";

export const OPENAI_BATCH_KIND = "openaiBatch";

/** Where a batch's request lines come from: a file of the Files API, or a blob (Azure's blob form). */
export type OpenAiBatchInput =
  | { fileId: string }
  | {
      /** SAS-free blob URL: safe to store and return. */
      blobUrl: string;
      /** The URL as given, SAS included, sealed by the SecretBox; absent without a SAS. */
      sealedBlobUrl?: string;
    };

/** Azure's blob form: results go to `{folder}/{batch id}/results.jsonl` and `errors.jsonl`. */
export interface OpenAiBatchOutputFolder {
  /** SAS-free folder URL (container URL plus an optional path). */
  folderUrl: string;
  sealedFolderUrl?: string;
}

/** BatchRecord.spec of an OpenAI batch: the create request as accepted. */
export interface OpenAiBatchSpec {
  /** As the caller wrote it (`/v1/chat/completions` or Azure's `/chat/completions`). */
  endpoint: string;
  completionWindow: "24h";
  /** The front door the batch was created through: it decides the per-file request limit (absent on older batches: Azure's). */
  route?: OpenAiRoute;
  /** Unix seconds. */
  createdAt: number;
  expiresAt: number;
  input: OpenAiBatchInput;
  output?: OpenAiBatchOutputFolder;
  metadata?: Record<string, string>;
  /** `output_expires_after.seconds`: the output and error files expire this long after they are made (not after the batch's creation). */
  outputExpiresAfterSeconds?: number;
}

export function openAiSpecOf(batch: Pick<BatchRecord, "spec">): OpenAiBatchSpec {
  return JSON.parse(batch.spec) as OpenAiBatchSpec;
}

/** The path a line's request goes to on the upstream: the endpoint without `/v1`. */
export function upstreamPathOf(endpoint: string): string {
  return endpoint.replace(/^\/v1(?=\/)/, "");
}

/** What validation learnt about the input, kept with the batch's work files. */
export interface ValidatedInput {
  model: string;
  lines: number;
}
