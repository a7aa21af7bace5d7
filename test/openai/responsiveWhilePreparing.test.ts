import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { Docbatch } from "../support/docbatchHost.js";
import type { FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { MODEL, startBatchHost, uploadJsonl } from "./batchSupport.js";

/** Long enough for any answer on a loaded machine; reached only by a hang. */
const HANG_MS = 60_000;
const LINES = 10_000;

describe("the app answers while a large OpenAI batch prepares", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let openai: OpenAI;
  before(async () => {
    ({ fake, docbatch } = await startBatchHost());
    openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0, timeout: HANG_MS });
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });

  test(`status polls, /health and the DI list are answered (no hang) while ${LINES.toLocaleString("en-US")} lines are validated and recorded`, async () => {
    const lines = Array.from({ length: LINES }, (_, i) => JSON.stringify({ custom_id: `t${i}`, method: "POST", url: "/v1/chat/completions", body: { model: MODEL, messages: [{ role: "user", content: `q${i}` }] } }));
    const created = await openai.batches.create({ input_file_id: await uploadJsonl(openai, lines.join("\n")), endpoint: "/v1/chat/completions", completion_window: "24h" });
    let batch;
    for (;;) {
      let health, list;
      [batch, health, list] = await Promise.all([
        openai.batches.retrieve(created.id),
        fetch(`${docbatch.host.url}/health`, { signal: AbortSignal.timeout(HANG_MS) }),
        docbatch.client.path("/documentModels/{modelId}/analyzeBatchResults", "prebuilt-read").get({ abortSignal: AbortSignal.timeout(HANG_MS) }),
      ]);
      assert.equal(health.status, 200, await health.text());
      assert.equal(list.status, "200", JSON.stringify(list.body));
      if (batch.status !== "validating") break;
    }
    // Running the lines is not this test's subject: prepared, the batch counts every line.
    assert.equal(batch.status, "in_progress", JSON.stringify(batch.errors));
    assert.equal(batch.request_counts?.total, LINES);
  });
});
