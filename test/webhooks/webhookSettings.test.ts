// The webhook settings: both or neither, https (loopback only in local runs), a well-formed secret
// that no settings error ever repeats.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { readSettings } from "../../src/config/settings.js";
import { webhookSignature } from "../../src/webhooks/standardWebhooks.js";
import OpenAI from "openai";

const secret = `whsec_${randomBytes(32).toString("base64")}`;

describe("webhook settings", () => {
  it("takes an https URL with its secret, and a loopback one only where loopback is allowed", () => {
    assert.deepEqual(readSettings({ DOCBATCH_WEBHOOK_URL: "https://hooks.example.com/docbatch", DOCBATCH_WEBHOOK_SECRET: secret }).webhook, { url: "https://hooks.example.com/docbatch", secret });
    assert.equal(readSettings({}).webhook, undefined);
    assert.throws(() => readSettings({ DOCBATCH_WEBHOOK_URL: "http://127.0.0.1:9000/h", DOCBATCH_WEBHOOK_SECRET: secret }), /loopback/);
    assert.equal(readSettings({ DOCBATCH_WEBHOOK_URL: "http://127.0.0.1:9000/h", DOCBATCH_WEBHOOK_SECRET: secret, DOCBATCH_ALLOW_LOOPBACK_HTTP: "true" }).webhook?.url, "http://127.0.0.1:9000/h");
    assert.throws(() => readSettings({ DOCBATCH_WEBHOOK_URL: "http://hooks.example.com/h", DOCBATCH_WEBHOOK_SECRET: secret }), /https/);
  });

  it("refuses one without the other and a malformed secret, never repeating the secret", () => {
    assert.throws(() => readSettings({ DOCBATCH_WEBHOOK_URL: "https://hooks.example.com/h" }), /together/);
    assert.throws(() => readSettings({ DOCBATCH_WEBHOOK_SECRET: secret }), /together/);
    const short = `whsec_${randomBytes(8).toString("base64")}`;
    for (const bad of [short, "not-a-secret-at-all-but-long-enough-1234567890"]) {
      assert.throws(
        () => readSettings({ DOCBATCH_WEBHOOK_URL: "https://hooks.example.com/h", DOCBATCH_WEBHOOK_SECRET: bad }),
        (error: unknown) => error instanceof Error && /DOCBATCH_WEBHOOK_SECRET/.test(error.message) && !error.message.includes(bad),
      );
    }
  });

  it("signs as the openai SDK verifies", async () => {
    const body = JSON.stringify({ id: "evt_1", object: "event", type: "batch.completed", created_at: 1, data: { id: "batch_1" } });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { "webhook-id": "evt_1", "webhook-timestamp": String(timestamp), "webhook-signature": webhookSignature(secret, "evt_1", timestamp, body) };
    const client = new OpenAI({ apiKey: "unused" });
    assert.equal(((await client.webhooks.unwrap(body, headers, secret)) as { type: string }).type, "batch.completed");
    await assert.rejects(client.webhooks.unwrap(body.replace("batch_1", "batch_2"), headers, secret));
  });
});
