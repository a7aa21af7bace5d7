/**
 * The Functions host's request body limit. The host sets Kestrel's MaxRequestBodySize from the
 * app setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, a whole number of bytes, and uses 104857600
 * when it is unset or not a number (azure-functions-host HttpRequestSizeMiddleware,
 * DefaultRequestBodySize).
 */
export const HOST_DEFAULT_REQUEST_BODY_LIMIT = 104_857_600;

export function hostRequestBodyLimit(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT?.trim();
  return value && /^\d+$/.test(value) ? Number(value) : HOST_DEFAULT_REQUEST_BODY_LIMIT;
}
