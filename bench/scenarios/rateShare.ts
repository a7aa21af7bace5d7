/**
 * The shared rate limit in its own process: `--instances` app instances' LLM upstream clients,
 * each with its own storage clients on one Azurite (as separate hosts would have), send
 * `--requests` requests in all to one fake upstream that enforces `--rpm` over 10 s windows,
 * every instance configured with that same limit.
 *
 * `node dist/bench/scenarios/rateShare.js --instances 4 --rpm 1200 --requests 800`
 */
import { readSettings } from "../../src/config/settings.js";
import { createLlmUpstream } from "../../src/llm/upstream.js";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { tableRateTimelines } from "../../src/storage/tableRateTimeline.js";
import { useAzurite } from "../../test/support/azurite.js";
import { startFakeOpenAiUpstream } from "../../test/support/fakeOpenAiUpstream.js";
import { numberArg, scenarioMain } from "../lib/childScenario.js";

export interface RateShareRun {
  instances: number;
  requestsPerMinute: number;
  requests: number;
  /** Requests the upstream answered 200, per minute of the span from first to last, over R. */
  shareOfLimit: number;
  /** 429 answers the upstream gave (each retried). */
  throttled: number;
  /** Requests that ran out of retries. */
  failed: number;
  upstreamSeconds: number;
}

scenarioMain(async (args): Promise<RateShareRun> => {
  const instances = numberArg(args, "instances");
  const rpm = numberArg(args, "rpm", 1200);
  const requests = numberArg(args, "requests", 800);
  const azurite = await useAzurite();
  const fake = await startFakeOpenAiUpstream({ models: ["bench-chat"], requestsPerMinute: rpm, windowMs: 10_000, latencyMs: 200 });
  try {
    const settings = readSettings({
      DOCBATCH_LLM_ENDPOINT: fake.baseUrl,
      DOCBATCH_LLM_MODELS: "bench-chat",
      DOCBATCH_ALLOW_LOOPBACK_HTTP: "true",
      DOCBATCH_LLM_REQUESTS_PER_MINUTE: String(rpm),
      DOCBATCH_LLM_TOKENS_PER_MINUTE: "1000000000",
    });
    const prefix = `share${Date.now().toString(36)}`;
    const clients = Array.from({ length: instances }, () => createLlmUpstream(settings, { timelines: tableRateTimelines(createAppStorage({ AzureWebJobsStorage: azurite.connectionString }), { prefix }) }));
    const outcomes = await Promise.allSettled(
      Array.from({ length: requests }, (_, i) => clients[i % instances]!.send({ path: "/chat/completions", body: { model: "bench-chat", messages: [{ role: "user", content: `r${i}` }], max_tokens: 1 } })),
    );
    const admitted = fake.requests.filter((request) => request.status === 200).map((request) => request.at).sort((a, b) => a - b);
    const spanMs = admitted.at(-1)! - admitted[0]! + 60_000 / rpm;
    return {
      instances,
      requestsPerMinute: rpm,
      requests,
      shareOfLimit: admitted.length / ((spanMs / 60_000) * rpm),
      throttled: fake.throttled,
      failed: outcomes.filter((outcome) => outcome.status === "rejected" || outcome.value.status !== 200).length,
      upstreamSeconds: spanMs / 1000,
    };
  } finally {
    await fake.close();
    await azurite.stop();
  }
});
