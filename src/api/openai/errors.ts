import type { HttpProblem } from "../http/httpProblem.js";
import type { ErrorRenderer } from "../http/serve.js";
import type { ApiResponse } from "../http/types.js";

/** An answer in OpenAI's error format, `{ error: { message, type, param, code } }`. */
export class OpenAiError extends Error {
  override readonly name = "OpenAiError";
  constructor(
    readonly status: number,
    message: string,
    readonly details: { type?: string; param?: string | null; code?: string | null } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "invalid_request_error",
  404: "invalid_request_error",
  405: "invalid_request_error",
  413: "invalid_request_error",
};

function render(status: number, message: string, details: OpenAiError["details"], headers: Record<string, string> = {}): ApiResponse {
  // The SDK retries 408, 409, 429 and 5xx on its own; every other answer of ours is final, and
  // saying so keeps it from re-sending a refused request (and a 409 we mean as final).
  const retryable = status >= 500 || status === 429 || status === 408;
  return {
    status,
    headers: { "content-type": "application/json", ...(retryable ? {} : { "x-should-retry": "false" }), ...headers },
    jsonBody: {
      error: { message, type: details.type ?? TYPE_BY_STATUS[status] ?? (status >= 500 ? "server_error" : "invalid_request_error"), param: details.param ?? null, code: details.code ?? null },
    },
  };
}

export const openAiErrors: ErrorRenderer = {
  own: (error) => (error instanceof OpenAiError ? render(error.status, error.message, error.details, error.headers) : undefined),
  problem: (problem: HttpProblem) =>
    render(problem.status, problem.message, { code: problem.code === "Unauthorized" ? "invalid_api_key" : problem.code === "PayloadTooLarge" ? "file_too_large" : null }, problem.headers),
};
