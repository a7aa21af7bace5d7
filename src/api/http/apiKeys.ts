import { createHash, timingSafeEqual } from "node:crypto";

/**
 * The key a caller presented: `Ocp-Apim-Subscription-Key` (Document Intelligence SDK), `api-key`
 * (Azure OpenAI), `Authorization: Bearer <key>` (OpenAI, DocuDevs) or the bare key in
 * `Authorization` (DocuDevs' Java client).
 */
export function presentedKey(headers: Headers): string | undefined {
  const direct = headers.get("ocp-apim-subscription-key") ?? headers.get("api-key");
  if (direct?.trim()) return direct.trim();
  const authorization = headers.get("authorization")?.trim();
  if (!authorization) return undefined;
  const scheme = authorization.match(/^(\S+)\s+(.+)$/);
  if (!scheme) return authorization;
  return /^bearer$/i.test(scheme[1]) ? scheme[2].trim() : undefined;
}

/**
 * Compares in constant time against every configured key (several are valid during rotation).
 * Hashing first gives equal-length buffers, and every key is compared, so neither the length
 * nor the position of a match leaks through timing.
 */
export function isAcceptedKey(presented: string | undefined, acceptedKeys: readonly string[]): boolean {
  if (!presented || acceptedKeys.length === 0) return false;
  const digest = sha256(presented);
  let accepted = false;
  for (const key of acceptedKeys) {
    if (timingSafeEqual(digest, sha256(key))) accepted = true;
  }
  return accepted;
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
