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

export function errorResponse(error: DiError) {
  return { status: error.status, headers: { ...error.headers, "content-type": "application/json" }, jsonBody: { error: error.body } };
}
