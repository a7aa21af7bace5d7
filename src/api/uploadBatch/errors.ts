import type { HttpProblem } from "../http/httpProblem.js";
import type { ErrorRenderer } from "../http/serve.js";
import type { ApiResponse } from "../http/types.js";
import { UploadCommandError } from "./uploadCommand.js";

/** An error in DocuDevs' wire format: `{ message, status, timestamp, path, error }`. */
export class DocuDevsError extends Error {
  override readonly name = "DocuDevsError";
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  static notFound(guid: string): DocuDevsError {
    return new DocuDevsError(404, `No job '${guid}' exists; it may have been deleted or purged.`);
  }

  static conflict(message: string): DocuDevsError {
    return new DocuDevsError(409, message);
  }

  static badRequest(message: string): DocuDevsError {
    return new DocuDevsError(400, message);
  }
}

const reasonPhrases: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export interface DocuDevsErrorBody {
  message: string;
  status: number;
  timestamp: string;
  path: string;
  error: string;
}

function render(status: number, message: string, path: string, headers: Record<string, string> = {}): ApiResponse {
  const body: DocuDevsErrorBody = { message, status, timestamp: new Date().toISOString(), path, error: reasonPhrases[status] ?? "Error" };
  return { status, headers: { ...headers, "content-type": "application/json" }, jsonBody: body };
}

/** The renderer of one request (DocuDevs' errors name the request's path). */
export function docuDevsErrors(path: string): ErrorRenderer {
  return {
    own(error) {
      if (error instanceof DocuDevsError) return render(error.status, error.message, path, error.headers);
      if (error instanceof UploadCommandError) return render(400, error.message, path);
      return undefined;
    },
    problem(problem: HttpProblem) {
      return render(problem.status, problem.message, path, problem.headers);
    },
  };
}
