import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RateBudget } from "../../src/llm/rateBudget.js";
import { parseDurationMs, readRateLimitHints } from "../../src/llm/rateLimitHeaders.js";
import { DEFAULT_OUTPUT_TOKENS, estimateTokens, readUsage } from "../../src/llm/tokenEstimate.js";
import { VirtualClock } from "../analyzers/virtualClock.js";

describe("LLM rate budget", () => {
  it("spreads requests evenly at the request rate, never in a burst", async () => {
    const clock = new VirtualClock({ advances: false });
    const budget = new RateBudget({ requestsPerMinute: 600, tokensPerMinute: 1_000_000_000 }, clock);
    const starts = await Promise.all(Array.from({ length: 5 }, () => budget.take(1)));
    assert.deepEqual(starts, [0, 100, 200, 300, 400]);
    assert.deepEqual(clock.sleeps, [100, 200, 300, 400]);
  });

  it("spaces requests by their token cost when tokens bind", async () => {
    const clock = new VirtualClock({ advances: false });
    const budget = new RateBudget({ requestsPerMinute: 60_000, tokensPerMinute: 6000 }, clock); // 10 ms a token
    assert.equal(await budget.take(50), 0);
    assert.equal(await budget.take(10), 500);
    assert.equal(await budget.take(1), 600);
  });

  it("charges what the upstream reported above the estimate, and pauses everyone on request", async () => {
    const clock = new VirtualClock({ advances: false });
    const budget = new RateBudget({ requestsPerMinute: 60_000, tokensPerMinute: 6000 }, clock);
    await budget.take(10); // next free at 100
    budget.charge(20); // 200 more
    budget.charge(-50); // an overestimate is not handed back
    assert.equal(budget.nextStart(), 300);
    budget.pause(5000);
    assert.equal(await budget.take(1), 5000);
  });

  it("gives a reservation back when its caller gives up", async () => {
    const clock = new VirtualClock({ advances: false });
    const budget = new RateBudget({ requestsPerMinute: 600, tokensPerMinute: 1_000_000_000 }, clock);
    await budget.take(1);
    const aborted = AbortSignal.abort(new Error("gone"));
    await assert.rejects(budget.take(1, aborted), /gone/);
    assert.equal(await budget.take(1), 100);
  });
});

describe("token estimate and usage", () => {
  it("counts the text a model reads at four characters a token, plus its output limit", () => {
    const chat = { model: "m", messages: [{ role: "user", content: "x".repeat(400) }], max_tokens: 50 };
    assert.equal(estimateTokens("/chat/completions", chat), 150);
    const parts = { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "y".repeat(40) }] }], max_completion_tokens: 5 };
    assert.equal(estimateTokens("/chat/completions", parts), 15);
    assert.equal(estimateTokens("/embeddings", { model: "e", input: ["a".repeat(8), "b".repeat(8)] }), 4);
    assert.equal(estimateTokens("/responses", { model: "m", input: "z".repeat(8) }), 2 + DEFAULT_OUTPUT_TOKENS);
  });

  it("reads usage in both the chat and the responses shapes", () => {
    assert.deepEqual(readUsage({ usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 1 } } }), {
      inputTokens: 3, cachedTokens: 1, outputTokens: 4, reasoningTokens: 0, totalTokens: 7,
    });
    assert.deepEqual(readUsage({ usage: { input_tokens: 5, output_tokens: 6, output_tokens_details: { reasoning_tokens: 2 } } }), {
      inputTokens: 5, cachedTokens: 0, outputTokens: 6, reasoningTokens: 2, totalTokens: 11,
    });
    assert.equal(readUsage({ id: "x" }), undefined);
  });
});

describe("rate-limit headers", () => {
  it("reads retry-after-ms, retry-after and exhausted x-ratelimit limits", () => {
    assert.deepEqual(readRateLimitHints(new Headers({ "retry-after-ms": "1500", "retry-after": "9" }), 0), { retryAfterMs: 1500 });
    assert.deepEqual(readRateLimitHints(new Headers({ "retry-after": "2" }), 0), { retryAfterMs: 2000 });
    assert.deepEqual(readRateLimitHints(new Headers({ "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-remaining-tokens": "10" }), 0), { exhaustedForMs: 300_000 }); // capped at 5 minutes
    assert.equal(parseDurationMs("20ms"), 20);
    assert.equal(parseDurationMs("1h2m3.5s"), 3_723_500);
    assert.equal(parseDurationMs("soon"), undefined);
  });
});
