import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The system key the Functions host creates for the Durable extension's webhooks. */
export const DURABLE_SYSTEM_KEY_NAME = "durabletask_extension";

/** A new key, shaped like the host's generated keys (random, URL-safe). */
export function newSystemKey(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * True when the request carries `key` as the host reads function and system keys: the `code`
 * query parameter or the `x-functions-key` header. Compared in constant time.
 */
export function carriesKey(req: IncomingMessage, key: string): boolean {
  const url = new URL(req.url ?? "/", "http://local");
  const header = req.headers["x-functions-key"];
  const offered = [url.searchParams.get("code"), typeof header === "string" ? header : undefined];
  const expected = Buffer.from(key);
  return offered.some((value) => {
    if (!value) return false;
    const given = Buffer.from(value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
