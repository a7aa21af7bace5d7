import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { readSettings } from "../../src/config/settings.js";
import { createLlmUpstream, UpstreamUnavailableError, type LlmUpstreamOptions } from "../../src/llm/upstream.js";
import { upstreamAuth } from "../../src/llm/upstreamAuth.js";
import { VirtualClock } from "../analyzers/virtualClock.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";

let fake: FakeOpenAiUpstream;
before(async () => {
  fake = await startFakeOpenAiUpstream({ models: ["gpt-test", "embed-test"], apiKey: "upstream-key" });
});
after(() => fake.close());
beforeEach(() => fake.reset());

const settingsFor = (extra: Record<string, string> = {}) =>
  readSettings({
    DOCBATCH_LLM_ENDPOINT: fake.baseUrl,
    DOCBATCH_LLM_API_KEY: "upstream-key",
    DOCBATCH_LLM_MODELS: "gpt-test,embed-test",
    DOCBATCH_ALLOW_LOOPBACK_HTTP: "true",
    DOCBATCH_LLM_REQUESTS_PER_MINUTE: "60000",
    DOCBATCH_LLM_TOKENS_PER_MINUTE: "100000000",
    ...extra,
  });

function upstreamWith(options: LlmUpstreamOptions & { settings?: Record<string, string> } = {}) {
  const clock = new VirtualClock({ advances: true });
  return { clock, upstream: createLlmUpstream(settingsFor(options.settings), { clock, minRetryDelayMs: 100, ...options }) };
}

const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: "gpt-test", messages: [{ role: "user", content }], max_tokens: 20, ...extra });

describe("LLM upstream client", () => {
  it("sends the body as it is with the key and returns the answer, its request id and usage", async () => {
    const { upstream } = upstreamWith();
    const body = chat("hello there", { temperature: 0, seed: 7 });
    const answer = await upstream.send({ path: "/chat/completions", body });
    assert.equal(answer.status, 200);
    assert.match(answer.requestId, /^req_/);
    assert.equal((answer.body as { choices: { message: { content: string } }[] }).choices[0]!.message.content, "echo: hello there");
    assert.deepEqual(fake.requests[0]!.body, body);
    assert.equal(answer.usage?.inputTokens, 3);
    assert.ok(upstream.serves("embed-test") && !upstream.serves("other"));
    await assert.rejects(upstream.send({ path: "/chat/completions", body: { ...body, model: "other" } }), /No LLM upstream serves model 'other'/);
  });

  it("returns a 4xx as it is, without retrying", async () => {
    const { upstream } = upstreamWith();
    fake.reject((r) => r.promptText === "bad", { message: "Unsupported value: 'temperature'." });
    const answer = await upstream.send({ path: "/chat/completions", body: chat("bad") });
    assert.equal(answer.status, 400);
    assert.equal((answer.body as { error: { message: string } }).error.message, "Unsupported value: 'temperature'.");
    assert.equal(fake.requests.length, 1);
  });

  it("retries a 500 with backoff on its clock, and a 429 after the upstream's retry-after for everyone", async () => {
    const { upstream, clock } = upstreamWith();
    fake.failOnce((r) => r.promptText === "flaky");
    const flaky = await upstream.send({ path: "/chat/completions", body: chat("flaky") });
    assert.equal(flaky.status, 200);
    assert.deepEqual(fake.requests.map((r) => r.status), [500, 200]);
    assert.ok(clock.sleeps.some((ms) => ms >= 100 && ms <= 125), `backoff sleep in ${clock.sleeps}`);

    fake.script({ match: (r) => r.promptText === "busy", times: 2, answer: { status: 429, headers: { "retry-after-ms": "4321", "retry-after": "5" } } });
    clock.sleeps.length = 0;
    const busy = await upstream.send({ path: "/chat/completions", body: chat("busy") });
    assert.equal(busy.status, 200);
    assert.equal(clock.sleeps.filter((ms) => ms === 4321).length, 2, `waited retry-after-ms twice: ${clock.sleeps}`);
  });

  it("throttled by the fake's own limits, it waits as told and loses nothing", async () => {
    fake.setLimits({ requestsPerMinute: 120, windowMs: 1000 }); // 2 a second
    try {
      const { upstream } = createReal();
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => upstream.send({ path: "/chat/completions", body: chat(`n${i}`) })));
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200]);
    } finally {
      fake.setLimits({ requestsPerMinute: undefined, windowMs: undefined });
    }
  });

  it("gives up after its retries with UpstreamUnavailableError carrying the last answer", async () => {
    const { upstream } = upstreamWith({ retries: 2 });
    fake.script({ match: (r) => r.promptText === "down", answer: { status: 503 } });
    await assert.rejects(
      upstream.send({ path: "/chat/completions", body: chat("down") }),
      (error: unknown) => error instanceof UpstreamUnavailableError && error.reason === "server_error" && error.details.status === 503,
    );
    assert.equal(fake.requests.length, 3);
  });

  it("retries connection failures and timeouts", async () => {
    const closed = await startFakeOpenAiUpstream();
    const endpoint = closed.baseUrl;
    await closed.close();
    const { upstream: unreachable } = upstreamWith({ retries: 1, settings: { DOCBATCH_LLM_ENDPOINT: endpoint } });
    await assert.rejects(unreachable.send({ path: "/chat/completions", body: chat("x") }), (e: unknown) => e instanceof UpstreamUnavailableError && e.reason === "connection");

    fake.script({ match: (r) => r.promptText === "slow", times: 1, answer: { delayMs: 500 } });
    const { upstream } = upstreamWith({ requestTimeoutMs: 100 });
    const answer = await upstream.send({ path: "/chat/completions", body: chat("slow") });
    assert.equal(answer.status, 200, "the second attempt, which the rule no longer delays, answered");
  });

  it("stops when its caller aborts", async () => {
    const { upstream } = upstreamWith();
    fake.script({ match: (r) => r.promptText === "long", answer: { delayMs: 2000 } });
    const controller = new AbortController();
    const sent = upstream.send({ path: "/chat/completions", body: chat("long"), signal: controller.signal });
    setTimeout(() => controller.abort(new Error("item cancelled")), 50);
    await assert.rejects(sent, /item cancelled/);
  });

  it("refuses plain http off loopback or without DOCBATCH_ALLOW_LOOPBACK_HTTP, and credentials in the URL", () => {
    assert.throws(() => createLlmUpstream(settingsFor({ DOCBATCH_ALLOW_LOOPBACK_HTTP: "false" })), /must use https/);
    assert.throws(() => createLlmUpstream(settingsFor({ DOCBATCH_LLM_ENDPOINT: "http://example.com/v1" })), /must use https/);
    assert.throws(() => createLlmUpstream(settingsFor({ DOCBATCH_LLM_ENDPOINT: "https://u:p@example.com/v1" })), /credentials/);
  });
});

describe("upstream sign-in", () => {
  it("uses api-key for Azure, Bearer elsewhere, and the managed identity on Azure without a key", async () => {
    const azure = new URL("https://contoso.openai.azure.com/openai/v1");
    assert.deepEqual(await upstreamAuth({ endpoint: azure, apiKey: "k" })(), { "api-key": "k" });
    assert.deepEqual(await upstreamAuth({ endpoint: new URL("https://api.openai.com/v1"), apiKey: "k" })(), { authorization: "Bearer k" });
    assert.deepEqual(await upstreamAuth({ endpoint: new URL("http://127.0.0.1:11434/v1") })(), {});
    const scopes: unknown[] = [];
    const credential = async () => ({
      getToken: async (scope: string | string[]) => {
        scopes.push(scope);
        return { token: "mi-token", expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    });
    const auth = upstreamAuth({ endpoint: azure, credential });
    assert.deepEqual(await auth(), { authorization: "Bearer mi-token" });
    await auth();
    assert.deepEqual(scopes, ["https://cognitiveservices.azure.com/.default"], "the token is cached until shortly before it expires");
  });
});

/** A client on the system clock, for the one test that runs against the fake's real-time window. */
function createReal() {
  return { upstream: createLlmUpstream(settingsFor({ DOCBATCH_LLM_REQUESTS_PER_MINUTE: "6000" }), { minRetryDelayMs: 50 }) };
}
