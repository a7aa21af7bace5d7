import { isAcceptedKey, presentedKey } from "./apiKeys.js";
import { HttpProblem } from "./httpProblem.js";

/** Fails with 401 (rendered by the front door) unless the request carries one of the accepted keys, in any header form presentedKey knows. */
export function requireApiKey(headers: Headers, acceptedKeys: readonly string[]): void {
  if (!isAcceptedKey(presentedKey(headers), acceptedKeys)) {
    throw new HttpProblem(401, "Unauthorized", "A valid docbatch API key is required.");
  }
}
