import { RestError } from "@azure/storage-blob";

/**
 * Batch-wide failures reaching the caller's storage. Per-document problems (a listed file that is
 * missing, a document that cannot be read) are not SourceErrors: they fail that document only.
 */
export type SourceErrorCode =
  | "ContainerNotFound"
  | "AuthorizationFailure"
  | "FileListNotFound"
  | "InvalidFileList"
  | "SourceUnavailable";

export interface SourceErrorDetails {
  statusCode?: number;
  /** Storage error code (x-ms-error-code), e.g. "AuthenticationFailed". */
  storageCode?: string;
  requestId?: string;
  /** Worth retrying later (network, throttling, 5xx after the SDK's own retries). */
  transient?: boolean;
}

/** The SDK error is deliberately not kept as `cause`: its request URL would carry the SAS into logs. */
export class SourceError extends Error {
  override readonly name = "SourceError";
  constructor(
    readonly code: SourceErrorCode,
    message: string,
    readonly details: SourceErrorDetails = {},
  ) {
    super(scrubSecrets(message));
  }
  get transient(): boolean {
    return this.details.transient ?? false;
  }
}

/**
 * Maps an error from the Storage SDK to a SourceError; `what` names the thing being reached,
 * e.g. "source container 'https://acct.blob.core.windows.net/docs'" (SAS-free).
 */
export function toSourceError(error: unknown, what: string): SourceError {
  if (error instanceof SourceError) return error;
  if (isRestError(error)) {
    const statusCode = error.statusCode;
    const details = error.details as { errorCode?: string } | undefined;
    const storageCode = details?.errorCode ?? error.response?.headers.get("x-ms-error-code") ?? error.code;
    const requestId = error.response?.headers.get("x-ms-request-id") ?? undefined;
    const info = { statusCode, storageCode, requestId };
    const serverSays = firstLine(error.message);
    const status = statusCode ? `${statusCode}${storageCode ? ` ${storageCode}` : ""}` : storageCode ?? "no response";
    if (statusCode === 404) {
      if (storageCode === "BlobNotFound") {
        return new SourceError("FileListNotFound", `${what} does not exist (${status}); check the fileList path, relative to the container.`, info);
      }
      return new SourceError("ContainerNotFound", `${what} does not exist (${status}); check the container URL.`, info);
    }
    if (statusCode === 401 || statusCode === 403) {
      return new SourceError(
        "AuthorizationFailure",
        `${what}: access denied (${status}): ${serverSays} Check that the SAS token is valid, not expired and grants the needed permissions (read and list for sources), or that the app's identity holds a Storage Blob Data role on the account.`,
        info,
      );
    }
    const transient = statusCode === undefined || statusCode === 408 || statusCode === 429 || statusCode >= 500;
    return new SourceError(
      "SourceUnavailable",
      transient ? `${what} is unavailable after retries (${status}): ${serverSays}` : `${what} refused the request (${status}): ${serverSays}`,
      { ...info, transient },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  const aborted = error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
  return new SourceError("SourceUnavailable", `${what} is unavailable${aborted ? " (timed out or aborted)" : ""}: ${firstLine(message)}`, { transient: true });
}

/** Cuts `sig=...` values from any text that might quote a request URL. */
export function scrubSecrets(text: string): string {
  return text.replace(/([?&;\s]sig=)[^&\s"'<>]*/gi, "$1REDACTED");
}

// By name as well: a second copy of core-rest-pipeline in node_modules would defeat instanceof.
function isRestError(error: unknown): error is RestError {
  return error instanceof RestError || (error instanceof Error && error.name === "RestError");
}

function firstLine(text: string): string {
  return scrubSecrets((text ?? "").split(/\r?\n/, 1)[0].trim()).slice(0, 300);
}
