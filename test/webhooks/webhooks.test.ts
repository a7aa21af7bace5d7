// Webhooks for every door: each final status sends its event to DOCBATCH_WEBHOOK_URL, signed the
// Standard Webhooks way; the official clients' webhooks.unwrap (npm and Python) verify every one.
// A receiver that fails a delivery gets it again with the same webhook-id.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { clock } from "../../src/shared/clock.js";
import { createContainer, runBatch, sasUrlFor, type Docbatch } from "../support/docbatchHost.js";
import type { FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { runPythonJson } from "../support/python.js";
import { chatLine, gate, jsonlOf, MODEL, startBatchHost, uploadJsonl, waitForBatch } from "../openai/batchSupport.js";
import { uploadBatchHttp } from "../uploadBatch/support.js";

interface Delivery {
  headers: Record<string, string>;
  body: string;
  answered: number;
}

/** A webhook receiver: records every delivery; `failNext(type)` answers the next delivery of that type 503. */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  const failing = new Set<string>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const type = (JSON.parse(body) as { type: string }).type;
      const answered = failing.delete(type) ? 503 : 200;
      deliveries.push({ headers: request.headers as Record<string, string>, body, answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    deliveries,
    failNext: (type: string) => failing.add(type),
    async received(type: string, count = 1): Promise<Delivery[]> {
      for (;;) {
        const found = deliveries.filter((delivery) => JSON.parse(delivery.body).type === type);
        if (found.length >= count) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("Webhooks on every door's final statuses", () => {
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  let openai: OpenAI;
  let verifier: OpenAI;
  before(async () => {
    receiver = await startReceiver();
    ({ fake, docbatch } = await startBatchHost({
      maxConcurrentActivities: 2,
      env: { DOCBATCH_WEBHOOK_URL: receiver.url, DOCBATCH_WEBHOOK_SECRET: secret, DOCBATCH_OPENAI_ON_EXPIRY: "expire", DOCBATCH_EXTRACTION_MODEL: MODEL },
    }));
    openai = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0 });
    verifier = new OpenAI({ apiKey: "unused", webhookSecret: secret });
  });
  after(async () => {
    clock.reset();
    await docbatch?.close();
    await fake?.close();
    await receiver?.close();
  });

  /** The event as the npm client's unwrap gives it (which throws on a bad signature). */
  const unwrapped = (delivery: Delivery) => verifier.webhooks.unwrap(delivery.body, delivery.headers) as Promise<any>;

  test("OpenAI batches: batch.completed (redelivered with the same webhook-id after a 503), batch.failed, batch.cancelled, batch.expired", async () => {
    receiver.failNext("batch.completed");
    const completed = await openai.batches.create({ input_file_id: await uploadJsonl(openai, jsonlOf([chatLine(1)])), endpoint: "/v1/chat/completions", completion_window: "24h" });
    assert.equal((await waitForBatch(openai, completed.id)).status, "completed");
    const [first, second] = await receiver.received("batch.completed", 2);
    assert.equal(first!.answered, 503);
    assert.equal(second!.answered, 200);
    assert.equal(second!.headers["webhook-id"], first!.headers["webhook-id"], "the same webhook-id on redelivery");
    assert.equal(second!.body, first!.body);
    const event = await unwrapped(second!);
    assert.deepEqual(Object.keys(event).sort(), ["created_at", "data", "id", "object", "type"]);
    assert.equal(event.object, "event");
    assert.equal(event.id, second!.headers["webhook-id"]);
    assert.match(event.id, /^evt_[0-9a-f]{32}$/);
    assert.deepEqual(event.data, { id: completed.id });
    assert.equal(event.created_at, (await openai.batches.retrieve(completed.id)).completed_at);

    const failed = await openai.batches.create({ input_file_id: await uploadJsonl(openai, "not json\n"), endpoint: "/v1/chat/completions", completion_window: "24h" });
    assert.equal((await waitForBatch(openai, failed.id)).status, "failed");
    assert.deepEqual((await unwrapped((await receiver.received("batch.failed"))[0]!)).data, { id: failed.id });

    const answers = gate();
    const release = fake.script({ answer: async () => (await answers.wait, {}) });
    const cancelled = await openai.batches.create({ input_file_id: await uploadJsonl(openai, jsonlOf(Array.from({ length: 40 }, (_, i) => chatLine(i)))), endpoint: "/v1/chat/completions", completion_window: "24h" });
    while (fake.inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await openai.batches.cancel(cancelled.id);
    answers.open();
    assert.equal((await waitForBatch(openai, cancelled.id)).status, "cancelled");
    assert.deepEqual((await unwrapped((await receiver.received("batch.cancelled"))[0]!)).data, { id: cancelled.id });

    const held = gate();
    fake.script({ answer: async () => (await held.wait, {}) });
    const expired = await openai.batches.create({ input_file_id: await uploadJsonl(openai, jsonlOf(Array.from({ length: 40 }, (_, i) => chatLine(i)))), endpoint: "/v1/chat/completions", completion_window: "24h" });
    while (fake.inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    clock.advance(25 * 3_600_000);
    held.open();
    assert.equal((await waitForBatch(openai, expired.id)).status, "expired");
    clock.reset();
    assert.deepEqual((await unwrapped((await receiver.received("batch.expired"))[0]!)).data, { id: expired.id });
    release();
  });

  test("Document Intelligence and upload batches send their own event types", async () => {
    const container = await createContainer(docbatch.blobService, { "a.txt": "Hello webhooks" });
    const sas = await sasUrlFor(container, docbatch.azurite);
    const { final, operationLocation } = await runBatch(docbatch, "prebuilt-read", { azureBlobSource: { containerUrl: sas }, resultContainerUrl: sas, resultPrefix: "out/" });
    assert.equal((final.body as { status: string }).status, "succeeded");
    const di = await unwrapped((await receiver.received("documentintelligence.batch.succeeded"))[0]!);
    assert.deepEqual(di.data, { resultId: String(operationLocation).split("/").pop()!.split("?")[0], modelId: "prebuilt-read", status: "succeeded" });

    const http = uploadBatchHttp(docbatch);
    const { jobGuid } = await http.create({});
    assert.equal((await http.upload(jobGuid, { bytes: Buffer.from("Invoice total 12"), name: "a.txt", type: "text/plain" })).status, 200);
    assert.equal((await http.process(jobGuid, { prompt: "Extract the total", schema: '{"total":"number"}', mimeType: "text/plain" })).status, 200);
    const job = await http.waitUntilDone(jobGuid);
    const type = job.status === "COMPLETED" ? "docudevs.job.completed" : "docudevs.job.error";
    const upload = await unwrapped((await receiver.received(type))[0]!);
    assert.deepEqual(upload.data, { jobGuid, status: job.status });
  });

  test("every delivery verifies with the Python client's webhooks.unwrap", async () => {
    const delivered = receiver.deliveries.filter((delivery) => delivery.answered === 200);
    assert.ok(delivered.length >= 6);
    const checked = await runPythonJson<{ types: string[] }>(
      {
        code: [
          "import json, os",
          "from openai import OpenAI",
          "client = OpenAI(api_key='unused')",
          "types = [client.webhooks.unwrap(d['body'], d['headers'], secret=os.environ['SECRET']).type for d in json.loads(os.environ['DELIVERIES'])]",
          "print(json.dumps({'types': types}))",
        ].join("\n"),
      },
      { env: { SECRET: secret, DELIVERIES: JSON.stringify(delivered.map(({ body, headers }) => ({ body, headers }))) } },
    );
    assert.deepEqual(checked.types, delivered.map((delivery) => JSON.parse(delivery.body).type));
    assert.ok(["batch.completed", "batch.failed", "batch.cancelled", "batch.expired", "documentintelligence.batch.succeeded"].every((type) => checked.types.includes(type)));
  });
});
