import { AnalyzerError } from "../../analyzers/analyzer.js";
import { ItemError } from "../../engine/itemError.js";
import { isTransient } from "../../shared/transientErrors.js";
import { scrubSecrets } from "../../storage/sourceError.js";

const CONTENT_FAILURES = new Set(["InvalidContent", "UnsupportedContent", "ContentTooLarge", "PasswordProtected", "InvalidPages"]);

/**
 * A Document Intelligence error as the engine keeps it: DI's outer code and message, with
 * `target` and `innererror` in `details` (the front door puts them back where DI has them).
 */
export function diItemError(
  code: string,
  message: string,
  options: { target?: string; innererror?: { code: string; message: string }; retryable?: boolean; retryAfterMs?: number } = {},
): ItemError {
  const details = {
    ...(options.target ? { target: options.target } : {}),
    ...(options.innererror ? { innererror: options.innererror } : {}),
  };
  return new ItemError(code, message, {
    retryable: options.retryable,
    retryAfterMs: options.retryAfterMs,
    ...(Object.keys(details).length ? { details } : {}),
  });
}

export function invalidRequest(innerCode: string, message: string, target?: string): ItemError {
  return diItemError("InvalidRequest", "Invalid request.", { target, innererror: { code: innerCode, message } });
}

/** Turns what went wrong with one document into the error its status details carry; transient ones are retried by the engine first. */
export function documentError(error: unknown, documentName: string): ItemError {
  if (error instanceof ItemError) return error;
  const retryable = isTransient(error);
  if (error instanceof AnalyzerError) {
    const retryAfterMs = error.options.retryAfterMs;
    if (CONTENT_FAILURES.has(error.code)) return invalidRequest(error.code, error.message);
    if (error.code === "ModelNotFound") {
      return diItemError("NotFound", "Resource not found.", { innererror: { code: "ModelNotFound", message: error.message } });
    }
    return diItemError(error.code, error.message, { retryable, retryAfterMs });
  }
  const status = (error as { statusCode?: number })?.statusCode;
  if (status === 404) {
    return invalidRequest("SourceNotFound", `The document '${documentName}' does not exist in the source container.`);
  }
  if (status === 401 || status === 403) {
    return diItemError("InvalidArgument", "Invalid argument.", {
      innererror: {
        code: "InvalidSasToken",
        message: `Access to '${documentName}' or its result was denied: the shared access signature (SAS) is invalid or expired, or the app's identity lacks a storage role.`,
      },
    });
  }
  const reason = scrubSecrets(((error as Error)?.message ?? String(error)).split(/\r?\n/, 1)[0]).slice(0, 500);
  return diItemError("InternalServerError", `The document could not be analyzed: ${reason}`, { retryable });
}

/**
 * Writing a result failed: the error names the result container (`resultContainerUrl`), never
 * the source, so a caller fixes the right URL. Transient failures stay retryable.
 */
export function resultWriteError(error: unknown, resultName: string): ItemError {
  const status = (error as { statusCode?: number })?.statusCode;
  const target = "resultContainerUrl";
  if (status === 404) {
    return diItemError("InvalidRequest", "Invalid request.", {
      target,
      innererror: { code: "ContainerNotFound", message: `The result '${resultName}' could not be written: the result container no longer exists.` },
    });
  }
  if (status === 401 || status === 403) {
    return diItemError("InvalidArgument", "Invalid argument.", {
      target,
      innererror: {
        code: "InvalidSasToken",
        message: `Writing the result '${resultName}' into the result container was denied: its SAS is invalid, expired or lacks write (w) permission, or the app's identity lacks Storage Blob Data Contributor on it.`,
      },
    });
  }
  const reason = scrubSecrets(((error as Error)?.message ?? String(error)).split(/\r?\n/, 1)[0]).slice(0, 500);
  return diItemError("InternalServerError", `The result '${resultName}' could not be written into the result container: ${reason}`, { target, retryable: isTransient(error) });
}

export function contentTooLarge(size: number, limit: number): AnalyzerError {
  return new AnalyzerError("ContentTooLarge", `The document is ${size} bytes; the limit is ${limit} bytes (DOCBATCH_MAX_DOCUMENT_BYTES).`);
}
