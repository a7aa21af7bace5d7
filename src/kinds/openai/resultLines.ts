import { createHash } from "node:crypto";

/** The `response` of a result line: the upstream's answer as it came. */
export interface LineResponse {
  status_code: number;
  request_id: string;
  body: unknown;
}

/** The id of a line's result (`batch_req_...`): the same however often the line runs. */
export function resultLineId(batchId: string, index: number): string {
  return `batch_req_${createHash("sha256").update(`${batchId}:${index}`).digest("hex").slice(0, 32)}`;
}

/** A line of the output or error file: `{ id, custom_id, response, error }` as OpenAI writes them. */
export function resultLine(options: {
  batchId: string;
  index: number;
  customId: string;
  response: LineResponse | null;
  error: { code: string; message: string } | null;
}): string {
  return JSON.stringify({ id: resultLineId(options.batchId, options.index), custom_id: options.customId, response: options.response, error: options.error });
}
