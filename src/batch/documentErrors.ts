import { AnalyzerError } from "../analyzers/analyzer.js";
import type { DiErrorBody } from "../documentIntelligence/errors.js";
import { scrubSecrets } from "../storage/sourceError.js";

const CONTENT_FAILURES = new Set(["InvalidContent", "UnsupportedContent", "ContentTooLarge", "PasswordProtected", "InvalidPages"]);

/** Turns what went wrong with one document into the error its status details carry. */
export function documentError(error: unknown, documentName: string): DiErrorBody {
  if (error instanceof AnalyzerError) {
    if (CONTENT_FAILURES.has(error.code)) {
      return { code: "InvalidRequest", message: "Invalid request.", innererror: { code: error.code, message: error.message } };
    }
    if (error.code === "Timeout") return { code: "Timeout", message: error.message };
    if (error.code === "ModelNotFound") {
      return { code: "NotFound", message: "Resource not found.", innererror: { code: "ModelNotFound", message: error.message } };
    }
    return { code: error.code, message: error.message };
  }
  const status = (error as { statusCode?: number })?.statusCode;
  if (status === 404) {
    return {
      code: "InvalidRequest",
      message: "Invalid request.",
      innererror: { code: "SourceNotFound", message: `The document '${documentName}' does not exist in the source container.` },
    };
  }
  if (status === 401 || status === 403) {
    return {
      code: "InvalidArgument",
      message: "Invalid argument.",
      innererror: {
        code: "InvalidSasToken",
        message: `Access to '${documentName}' or its result was denied: the shared access signature (SAS) is invalid or expired, or the app's identity lacks a storage role.`,
      },
    };
  }
  const reason = scrubSecrets(((error as Error)?.message ?? String(error)).split(/\r?\n/, 1)[0]).slice(0, 500);
  return { code: "InternalServerError", message: `The document could not be analyzed: ${reason}` };
}

export function contentTooLarge(size: number, limit: number): AnalyzerError {
  return new AnalyzerError("ContentTooLarge", `The document is ${size} bytes; the limit is ${limit} bytes (DOCBATCH_MAX_DOCUMENT_BYTES).`);
}
