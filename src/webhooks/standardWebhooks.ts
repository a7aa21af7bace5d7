import { createHmac } from "node:crypto";

/**
 * The Standard Webhooks signature (what the openai SDKs' `webhooks.unwrap` verifies):
 * `v1,` + base64 HMAC-SHA256, keyed with the secret's base64 part, of `id.timestamp.body`.
 */
export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64")}`;
}

/** The three headers of one delivery attempt; the timestamp is the attempt's own (receivers refuse stale ones). */
export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": webhookSignature(secret, id, timestampSeconds, body),
  };
}
