import type { HttpProblem } from "../http/httpProblem.js";
import type { ErrorRenderer } from "../http/serve.js";
import type { ApiResponse } from "../http/types.js";

/**
 * Errors in the Document Intelligence wire format:
 * `{ error: { code, message, target?, details?, innererror?: { code, message } } }`.
 */
export interface DiErrorBody {
  code: string;
  message: string;
  target?: string;
  details?: DiErrorBody[];
  innererror?: { code: string; message: string; innererror?: { code: string; message: string } };
}

export class DiError extends Error {
  override readonly name = "DiError";
  constructor(
    readonly status: number,
    readonly body: DiErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.innererror?.message ?? body.message);
  }

  static invalidRequest(innerCode: string, message: string, target?: string): DiError {
    return new DiError(400, {
      code: "InvalidRequest",
      message: "Invalid request.",
      ...(target ? { target } : {}),
      innererror: { code: innerCode, message },
    });
  }

  static invalidArgument(innerCode: string, message: string, target?: string): DiError {
    return new DiError(400, {
      code: "InvalidArgument",
      message: "Invalid argument.",
      ...(target ? { target } : {}),
      innererror: { code: innerCode, message },
    });
  }

  static modelNotFound(modelId: string): DiError {
    return new DiError(404, {
      code: "NotFound",
      message: "Resource not found.",
      target: "modelId",
      innererror: { code: "ModelNotFound", message: `The requested model '${modelId}' was not found. GET /documentintelligence/documentModels lists the models this deployment offers.` },
    });
  }

  static resultNotFound(resultId: string): DiError {
    return new DiError(404, {
      code: "NotFound",
      message: "Resource not found.",
      target: "resultId",
      innererror: { code: "OperationNotFound", message: `No batch analysis '${resultId}' exists for this model. Its status may have been deleted or purged after the retention period.` },
    });
  }

  static unauthorized(): DiError {
    return new DiError(401, {
      code: "401",
      message:
        "Access denied due to a missing or invalid key. Send a valid docbatch API key in the Ocp-Apim-Subscription-Key (or api-key) header.",
    });
  }
}

export function errorResponse(error: DiError): ApiResponse {
  return { status: error.status, headers: { ...error.headers, "content-type": "application/json" }, jsonBody: { error: error.body } };
}

/** The shared plumbing's failures (src/api/http) in DI's error format. */
export const diErrors: ErrorRenderer = {
  own: (error) => (error instanceof DiError ? errorResponse(error) : undefined),
  problem(problem: HttpProblem) {
    switch (problem.code) {
      case "Unauthorized":
        return errorResponse(DiError.unauthorized());
      case "PayloadTooLarge":
        return errorResponse(new DiError(413, { code: "InvalidRequest", message: "Invalid request.", innererror: { code: "RequestTooLarge", message: problem.message } }));
      case "InvalidBody":
        return errorResponse(DiError.invalidRequest("InvalidContent", problem.message));
      case "ServiceUnavailable":
        return errorResponse(new DiError(503, { code: "ServiceUnavailable", message: problem.message }, problem.headers));
      case "InternalError":
        return errorResponse(new DiError(500, { code: "InternalServerError", message: problem.message }, problem.headers));
    }
  },
};
