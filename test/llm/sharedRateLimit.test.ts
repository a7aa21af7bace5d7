// Rate limits that hold for the whole app: several instances' budgets spend one timeline (a
// table row on Azurite, or one in memory), so together they stay within the upstream's limit and
// a lone instance uses all of it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readSettings } from "../../src/config/settings.js";
import { RateBudget } from "../../src/llm/rateBudget.js";
import { LocalTimeline } from "../../src/llm/rateTimeline.js";
import { createLlmUpstream } from "../../src/llm/upstream.js";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { tableRateTimelines } from "../../src/storage/tableRateTimeline.js";
import { VirtualClock } from "../analyzers/virtualClock.js";
import { useAzurite, type RunningAzurite } from "../support/azurite.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";

describe("shared rate budget (in memory, virtual time)", () => {
  it("two instances on one timeline get disjoint start times, the timeline spent back to back", async () => {
    const clock = new VirtualClock({ advances: false });
    const timeline = new LocalTimeline();
    const a = new RateBudget({ requestsPerMinute: 600, tokensPerMinute: 1e12 }, clock, { timeline, maxClaimMs: 300 });
    const b = new RateBudget({ requestsPerMinute: 600, tokensPerMinute: 1e12 }, clock, { timeline, maxClaimMs: 300 });
    const starts = await Promise.all([...Array.from({ length: 10 }, () => a.take(1)), ...Array.from({ length: 10 }, () => b.take(1))]);
    assert.deepEqual([...starts].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i * 100), "every 100 ms slot used once: the rate, never more");
    assert.ok(new Set(starts.slice(0, 10)).size === 10 && starts.slice(10).some((start) => start < starts[9]!), "the instances take turns");
  });

  it("a stopping instance gives its unspent time back; a 429 holds every instance back", async () => {
    const clock = new VirtualClock({ advances: false });
    const timeline = new LocalTimeline();
    const a = new RateBudget({ requestsPerMinute: 600, tokensPerMinute: 1e12 }, clock, { timeline, maxClaimMs: 1000 });
    const b = new RateBudget({ requestsPerMinute: 600, tokensPerMinute: 1e12 }, clock, { timeline, maxClaimMs: 1000 });
    // a claims 500 ms for five requests; two give up before their time, so 200 ms stay unspent.
    const controller = new AbortController();
    const kept = Array.from({ length: 3 }, () => a.take(1));
    const dropped = Promise.allSettled(Array.from({ length: 2 }, () => a.take(1, controller.signal)));
    controller.abort(new Error("stopping"));
    assert.deepEqual(await Promise.all(kept), [0, 100, 200]);
    assert.ok((await dropped).every((result) => result.status === "rejected"));
    await a.release();
    assert.equal(await b.take(1), 300, "b starts where a's spent time ends");
    b.pause(5000);
    assert.equal(await a.take(1), 5000, "a waits out b's 429 too");
  });
});

describe("shared rate budget on a storage table (Azurite)", () => {
  let azurite: RunningAzurite;
  let fake: FakeOpenAiUpstream;
  before(async () => {
    azurite = await useAzurite();
    // A hard limit: 1200 requests a minute, enforced pro rata over 3 s windows (60 per window).
    fake = await startFakeOpenAiUpstream({ models: ["gpt-test"], requestsPerMinute: 1200, windowMs: 3000 });
  });
  after(async () => {
    await fake?.close();
    await azurite?.stop();
  });

  const storage = () => createAppStorage({ AzureWebJobsStorage: azurite.connectionString });

  it("instances claiming at once never get overlapping time, and the claims leave no gap", async () => {
    const prefix = `rl${Date.now().toString(36)}`;
    const instances = Array.from({ length: 4 }, () => tableRateTimelines(storage(), { prefix })("llm-test"));
    const now = Date.now();
    // Claims of 60 s each run the timeline far ahead of now: each starts where another ended.
    const spans = (await Promise.all(instances.flatMap((timeline) => Array.from({ length: 8 }, () => timeline.claim(60_000, now))))).sort((x, y) => x.start - y.start);
    for (let i = 1; i < spans.length; i++) assert.equal(spans[i]!.start, spans[i - 1]!.end, `claim ${i} starts where claim ${i - 1} ends`);
    assert.equal(spans.at(-1)!.end - spans[0]!.start, 32 * 60_000);
  });

  it("three app instances' upstream clients against one upstream stay within its limit; no request fails", async () => {
    const settings = readSettings({
      DOCBATCH_LLM_ENDPOINT: fake.baseUrl,
      DOCBATCH_LLM_MODELS: "gpt-test",
      DOCBATCH_ALLOW_LOOPBACK_HTTP: "true",
      DOCBATCH_LLM_REQUESTS_PER_MINUTE: "1200",
      DOCBATCH_LLM_TOKENS_PER_MINUTE: "100000000",
    });
    const prefix = `rl${Date.now().toString(36)}x`;
    // Each its own storage clients and timeline objects, as separate processes would have.
    const instances = Array.from({ length: 3 }, () => createLlmUpstream(settings, { timelines: tableRateTimelines(storage(), { prefix }), minRetryDelayMs: 200 }));
    const perInstance = 60;
    const answers = await Promise.all(
      instances.flatMap((upstream, n) =>
        Array.from({ length: perInstance }, (_, i) => upstream.send({ path: "/chat/completions", body: { model: "gpt-test", messages: [{ role: "user", content: `i${n} r${i}` }], max_tokens: 1 } })),
      ),
    );
    assert.ok(answers.every((answer) => answer.status === 200), "no request failed");
    const admitted = fake.requests.filter((request) => request.status === 200);
    assert.equal(admitted.length, 3 * perInstance);
    // Without the shared timeline each instance sends at the full rate, 3 × the limit: about two
    // thirds of the attempts are refused. Shared, the upstream refuses only the odd request whose
    // timer fired late next to one fired on time (three instances share one busy event loop here),
    // and retries it.
    assert.ok(fake.throttled <= 0.1 * admitted.length, `${fake.throttled} attempts were refused by the upstream's limit`);
  });
});
