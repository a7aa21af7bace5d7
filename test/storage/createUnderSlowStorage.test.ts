import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { Batches, BatchNotCreatedError } from "../../src/engine/batches.js";
import { serve, type ErrorRenderer } from "../../src/api/http/serve.js";
import { diErrors } from "../../src/api/documentIntelligence/errors.js";
import { openAiErrors } from "../../src/api/openai/errors.js";
import { docuDevsErrors } from "../../src/api/uploadBatch/errors.js";
import { createAppStorage } from "../../src/storage/appStorage.js";
import { TableStatusStore } from "../../src/storage/tableStatusStore.js";
import { useAzurite, type RunningAzurite } from "../support/azurite.js";

/** What the proxy does to inserts into the batches table: the first one lands but answers late; later ones pass or fail. */
type InsertFault = { retry: "pass" | "fail" };

/**
 * A proxy in front of Azurite's table endpoint that holds the answer of the first insert into the
 * batches table past the request path's try timeout (2 s): the SDK cuts that try and sends the
 * insert again, though the first one landed, as slow storage made it do in the issue.
 */
async function startSlowTableProxy(target: URL, table: string) {
  let fault: InsertFault | undefined;
  let inserts = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const isInsert = request.method === "POST" && new URL(request.url!, "http://x").pathname.endsWith(`/${table}`);
      const insert = isInsert && fault ? ++inserts : 0;
      if (insert > 1 && fault?.retry === "fail") {
        response.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ "odata.error": { code: "ServerBusy", message: { value: "busy" } } }));
        return;
      }
      const forwarded = http.request(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          const body: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => body.push(chunk));
          answer.on("end", () => {
            const reply = () => {
              if (response.destroyed) return;
              response.writeHead(answer.statusCode!, answer.headers).end(Buffer.concat(body));
            };
            if (insert === 1) setTimeout(reply, 2_500);
            else reply();
          });
        },
      );
      forwarded.on("error", () => response.destroy());
      forwarded.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    arm(next: InsertFault) {
      fault = next;
      inserts = 0;
    },
    get inserts() {
      return inserts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("a create under slow storage", { timeout: 60_000 }, () => {
  let azurite: RunningAzurite;
  let proxy: Awaited<ReturnType<typeof startSlowTableProxy>>;
  let store: TableStatusStore;
  let direct: TableStatusStore;
  const tablePrefix = `cr${randomUUID().slice(0, 8)}`;
  const started: string[] = [];

  before(async () => {
    azurite = await useAzurite();
    const tableEndpoint = new URL(azurite.tableEndpoint);
    proxy = await startSlowTableProxy(tableEndpoint, `${tablePrefix}Batches`);
    const proxied = azurite.connectionString.replace(/TableEndpoint=[^;]+/, `TableEndpoint=http://127.0.0.1:${proxy.port}/${azurite.accountName}`);
    // The request path's storage clients: a try cut at 2 s and retried once, as the front doors use.
    store = new TableStatusStore(createAppStorage({ AzureWebJobsStorage: proxied }, { requestPath: true }), { tablePrefix });
    direct = new TableStatusStore(createAppStorage({ AzureWebJobsStorage: azurite.connectionString }), { tablePrefix });
    await store.ensureTables();
  });
  after(async () => {
    await proxy?.close();
    await azurite?.stop();
  });

  const batches = () => new Batches({ store, runner: { start: async (ref) => void started.push(ref.batchId) }, now: () => new Date() });

  async function rowsOfKind(kind: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const b of direct.listBatchesToPurge(new Date(Date.now() + 3_600_000))) if (b.kind === kind) ids.push(b.batchId);
    const listed = await direct.listBatches(kind, { maxPageSize: 100 });
    return [...new Set([...ids, ...listed.batches.map((b) => b.batchId)])];
  }

  test("an insert retried after its first attempt landed finds its own row: the create succeeds, one row, started once", async () => {
    proxy.arm({ retry: "pass" });
    const batch = await batches().create({ kind: "slowOk", spec: "{}" });
    assert.equal(proxy.inserts, 2, "the SDK sent the insert again");
    assert.deepEqual(started, [batch.batchId]);
    assert.deepEqual(await rowsOfKind("slowOk"), [batch.batchId]);
    const row = await direct.getBatch("slowOk", batch.batchId);
    assert.equal(row?.startedAt, batch.startedAt);
  });

  test("an insert that cannot be confirmed is a BatchNotCreatedError, its row removed again: no orphan, nothing started", async () => {
    started.length = 0;
    proxy.arm({ retry: "fail" });
    const error = await batches()
      .create({ kind: "slowFail", spec: "{}", start: false })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    assert.ok(error instanceof BatchNotCreatedError, String(error));
    assert.deepEqual(started, []);
    assert.deepEqual(await rowsOfKind("slowFail"), [], "the row that landed was removed");
  });

  test("each front door answers an unconfirmed create 503 with Retry-After in its own error format", async () => {
    const renderers: [string, ErrorRenderer, (body: Record<string, unknown>) => unknown][] = [
      ["Document Intelligence", diErrors, (body) => (body.error as { code: string }).code],
      ["OpenAI", openAiErrors, (body) => typeof (body.error as { message: string }).message],
      ["DocuDevs", docuDevsErrors("/document/batch"), (body) => body.error],
    ];
    for (const [door, errors, shape] of renderers) {
      const response = await serve({ method: "POST", url: "http://localhost/x" }, { errors }, async () => {
        throw new BatchNotCreatedError("b1", { cause: new Error("ETIMEDOUT") });
      });
      assert.equal(response.status, 503, door);
      assert.equal(response.headers?.["retry-after"], "5", door);
      assert.ok(shape(response.jsonBody as Record<string, unknown>), `${door}: ${JSON.stringify(response.jsonBody)}`);
    }
  });
});
