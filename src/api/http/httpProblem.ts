/**
 * A failure the shared plumbing detects before a front door's own code runs (missing key, body
 * too large or unreadable) or after it failed unexpectedly (storage unreachable, a bug). Each
 * front door renders these in its own error format (see serve.ts).
 */
export type HttpProblemCode = "Unauthorized" | "PayloadTooLarge" | "InvalidBody" | "ServiceUnavailable" | "InternalError";

export class HttpProblem extends Error {
  override readonly name = "HttpProblem";
  constructor(
    readonly status: number,
    readonly code: HttpProblemCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
