import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { useAzurite, type RunningAzurite } from "../support/azurite.js";
import { EventType, startLocalHost, type HistoryEvent, type LocalHost } from "../../local-host/index.js";

// dist/test/local-host -> dist/test/fixtures/sampleApp/index.js
const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/sampleApp/index.js");
let azurite: RunningAzurite;
let host: LocalHost;
const logs: string[] = [];

before(async () => {
  azurite = await useAzurite();
  host = await startLocalHost({
    entry,
    env: { AzureWebJobsStorage: azurite.connectionString, SAMPLE_TICK_SCHEDULE: "0 */5 * * * *" },
    log: (entry) => logs.push(`${entry.level} ${entry.functionName ?? ""} ${entry.message}`),
  });
});
after(async () => {
  await host?.close();
  await azurite?.stop();
});

interface Status {
  instanceId: string;
  runtimeStatus: string;
  output: any;
  customStatus: any;
  input: any;
}

async function start(name: string, input?: unknown, instanceId?: string): Promise<string> {
  const response = await fetch(`${host.url}/orchestrators/${name}${instanceId ? `/${instanceId}` : ""}`, {
    method: "POST",
    body: input === undefined ? "" : JSON.stringify(input),
  });
  assert.equal(response.status, 202);
  const payload = (await response.json()) as { id: string; statusQueryGetUri: string };
  assert.equal(response.headers.get("location"), payload.statusQueryGetUri);
  assert.ok(payload.statusQueryGetUri.startsWith(`${host.url}/runtime/webhooks/durabletask/instances/`));
  return payload.id;
}

async function status(instanceId: string): Promise<Status> {
  const response = await fetch(`${host.url}/status/${encodeURIComponent(instanceId)}`);
  assert.equal(response.status, 200);
  return (await response.json()) as Status;
}

/** Waits for the instance to finish, then reads its status over HTTP through the app's client. */
async function finished(instanceId: string): Promise<Status> {
  await host.durable.waitForInstance(instanceId, { timeoutMs: 20_000 });
  return status(instanceId);
}

async function executions(key: string): Promise<number> {
  return ((await (await fetch(`${host.url}/executions/${key}`)).json()) as { count: number }).count;
}

const count = (history: readonly HistoryEvent[], type: number) => history.filter((e) => e.EventType === type).length;

describe("HTTP triggers", () => {
  test("registrations are captured as Azure sees them", () => {
    const echo = host.functions.find((f) => f.name === "echo");
    assert.deepEqual(echo, { name: "echo", trigger: "httpTrigger", route: "echo/{first}/{second?}", methods: ["GET", "POST"] });
    assert.equal(host.functions.find((f) => f.name === "tick")?.trigger, "timerTrigger");
    assert.equal(host.functions.find((f) => f.name === "square")?.trigger, "activityTrigger");
    assert.equal(host.functions.find((f) => f.name === "fanOutFanIn")?.trigger, "orchestrationTrigger");
  });

  test("params, optional params, repeated query values, headers and cookies reach the handler and back", async () => {
    const response = await fetch(`${host.url}/echo/one?tag=a&tag=b&x=1`, { headers: { "x-sample": "hello" } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-echo"), "yes");
    assert.match(response.headers.get("set-cookie") ?? "", /session=abc; HttpOnly/);
    const body = (await response.json()) as any;
    assert.deepEqual(body.params, { first: "one" });
    assert.deepEqual(body.tags, ["a", "b"]);
    assert.equal(body.header, "hello");
    assert.equal(body.url, `${host.url}/echo/one?tag=a&tag=b&x=1`);
    assert.equal(body.functionName, "echo");
    assert.equal(body.trigger, "httpTrigger");
    assert.match(body.invocationId, /^[0-9a-f-]{36}$/);
    const both = (await (await fetch(`${host.url}/echo/one/two`)).json()) as any;
    assert.deepEqual(both.params, { first: "one", second: "two" });
  });

  test("catch-all routes, constraints and route precedence", async () => {
    assert.deepEqual(await (await fetch(`${host.url}/files/a/b/c.txt`)).json(), { path: "a/b/c.txt" });
    assert.deepEqual(await (await fetch(`${host.url}/items/42`)).json(), { kind: "id", id: 42 });
    assert.deepEqual(await (await fetch(`${host.url}/items/abc`)).json(), { kind: "name", name: "abc", method: "GET" });
    assert.deepEqual(await (await fetch(`${host.url}/items/42`, { method: "PUT" })).json(), { kind: "name", name: "42", method: "PUT" });
  });

  test("404 without a route, 405 for a wrong method, 500 when the handler throws", async () => {
    assert.equal((await fetch(`${host.url}/no/such/route`)).status, 404);
    const wrong = await fetch(`${host.url}/items/abc`, { method: "DELETE" });
    assert.equal(wrong.status, 405);
    assert.deepEqual(wrong.headers.get("allow")?.split(", ").sort(), ["GET", "PUT"]);
    assert.equal((await fetch(`${host.url}/boom`)).status, 500);
    assert.ok(logs.some((line) => line.includes("handler failed on purpose")));
  });

  test("request bodies stream to the handler without a small size limit", async () => {
    const body = randomBytes(48 * 1024 * 1024);
    const response = await fetch(`${host.url}/upload`, { method: "POST", body });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { bytes: body.length, sha256: createHash("sha256").update(body).digest("hex") });
  });

  test("stream response bodies are streamed to the socket", async () => {
    const response = await fetch(`${host.url}/stream?chunks=5`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), null);
    assert.equal(response.headers.get("transfer-encoding"), "chunked");
    assert.equal(await response.text(), "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
  });
});

describe("Durable Functions", () => {
  test("fan-out/fan-in across sub-orchestrations, with custom status and an explicit sub-instance id", async () => {
    const id = await start("fanOutFanIn", { groups: 3, perGroup: 4, key: "fan" });
    const final = await finished(id);
    assert.equal(final.runtimeStatus, "Completed");
    assert.deepEqual(final.output, { total: 650, sums: [30, 174, 446] });
    assert.deepEqual(final.customStatus, { stage: "done", groups: 3 });
    assert.equal(await executions("fan"), 12);
    const first = await status(`${id}-first`);
    assert.equal(first.runtimeStatus, "Completed");
    assert.equal(first.output, 30);

    const history = host.durable.getInstance(id)!.history;
    assert.equal(history[0].EventType, EventType.OrchestratorStarted);
    assert.equal(history[1].EventType, EventType.ExecutionStarted);
    assert.equal(count(history, EventType.SubOrchestrationInstanceCreated), 3);
    assert.equal(count(history, EventType.SubOrchestrationInstanceCompleted), 3);
    assert.deepEqual(history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCreated).map((e) => e.EventId), [0, 1, 2]);
    assert.ok(history.every((e) => e.IsPlayed && typeof e.Timestamp === "string"));
    assert.equal(history.at(-1)!.EventType, EventType.ExecutionCompleted);
  });

  test("completions are delivered in batches of at most 32 per replay", async () => {
    const values = Array.from({ length: 70 }, (_, i) => i);
    const id = await start("sumOfSquares", { values, key: "batch" });
    const final = await finished(id);
    assert.equal(final.output, values.reduce((a, v) => a + v * v, 0));
    const history = host.durable.getInstance(id)!.history;
    const perEpisode: number[] = [];
    for (const event of history) {
      if (event.EventType === EventType.OrchestratorStarted) perEpisode.push(0);
      if (event.EventType === EventType.TaskCompleted) perEpisode[perEpisode.length - 1]++;
    }
    assert.ok(Math.max(...perEpisode) <= 32, `episodes: ${perEpisode}`);
    assert.ok(host.durable.getInstance(id)!.replays >= 4);
    const stats = host.durable.stats({ perInstance: true });
    assert.ok(stats.replays >= 4 && stats.activitiesExecuted >= 70 && stats.maxHistoryLength >= history.length - 1);
    assert.equal(stats.perInstance![id].runtimeStatus, "Completed");
  });

  test("orchestrator CPU and wall figures time replays alone, so overlapping instances never add up past the process", async () => {
    const before = host.durable.stats();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const values = Array.from({ length: 40 }, (_, i) => i);
    const ids = await Promise.all(Array.from({ length: 8 }, (_, n) => start("sumOfSquares", { values, key: `overlap-${n}` })));
    for (const id of ids) assert.equal((await finished(id)).output, values.reduce((a, v) => a + v * v, 0));
    const wallMs = performance.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const after = host.durable.stats();
    const replayCpuMs = after.orchestratorCpuMs - before.orchestratorCpuMs;
    const replayWallMs = after.orchestratorWallMs - before.orchestratorWallMs;
    assert.ok(after.replays - before.replays >= 16);
    assert.ok(replayCpuMs > 0 && replayWallMs > 0, `replay CPU ${replayCpuMs} ms, wall ${replayWallMs} ms`);
    assert.ok(replayCpuMs <= (cpu.user + cpu.system) / 1000, `replay CPU ${replayCpuMs} ms, process CPU ${(cpu.user + cpu.system) / 1000} ms`);
    assert.ok(replayWallMs <= wallMs, `replay wall ${replayWallMs} ms, elapsed ${wallMs} ms`);
  });

  test("an activity failing twice succeeds through its retry policy", async () => {
    const fault = host.faults.failActivity("countExecution", { times: 2, when: (input) => (input as { key: string }).key === "retry-ok" });
    const id = await start("withRetry", { key: "retry-ok", attempts: 4 });
    const final = await finished(id);
    assert.deepEqual(final.output, { ok: true, count: 1 });
    assert.equal(fault.triggered, 2);
    assert.equal(await executions("retry-ok"), 1);
    const history = host.durable.getInstance(id)!.history;
    assert.equal(count(history, EventType.TaskScheduled), 3);
    assert.equal(count(history, EventType.TaskFailed), 2);
    assert.equal(count(history, EventType.TimerFired), 2);
    const failure = history.find((e) => e.EventType === EventType.TaskFailed)!;
    assert.match(String(failure.Reason), /^Activity function 'countExecution' failed: Injected failure/);
  });

  test("retried activities inside Task.all, completions of others in between: results in input order, task ids consistent", async () => {
    const key = "retry-fan";
    const failing = [2, 5, 8];
    // 3, 6 and 9 finish only once the retried attempts of 2, 5 and 8 have started, so their
    // completions land after those retries' TaskFailed / TimerCreated / TimerFired / TaskScheduled.
    const late = [3, 6, 9];
    const items = Array.from({ length: 10 }, (_, value) => (late.includes(value) ? { value, after: failing } : { value }));
    const faults = failing.map((failValue) =>
      host.faults.failActivity("squareAfter", { when: (input) => (input as { key: string; value: number }).key === key && (input as { value: number }).value === failValue }),
    );
    const id = await start("squaresWithRetry", { key, items, firstRetryIntervalMs: 20 });
    const final = await finished(id);
    assert.equal(final.runtimeStatus, "Completed", JSON.stringify(final.output));
    assert.deepEqual(final.output, items.map(({ value }) => value * value));
    assert.deepEqual(faults.map((f) => f.triggered), [1, 1, 1]);

    const history = host.durable.getInstance(id)!.history;
    assert.equal(count(history, EventType.TaskScheduled), 13);
    assert.equal(count(history, EventType.TaskFailed), 3);
    assert.equal(count(history, EventType.TimerCreated), 3);
    assert.equal(count(history, EventType.TimerFired), 3);
    assert.equal(count(history, EventType.TaskCompleted), 10);
    assert.equal(history.at(-1)!.OrchestrationStatus, "Completed");

    // Task ids: handed out once each, in the order they appear, 10 first attempts then 3 timers and 3 retries.
    const allocated = history.filter((e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated);
    assert.deepEqual(allocated.map((e) => e.EventId), Array.from({ length: 16 }, (_, i) => i));
    const scheduledValue = new Map(history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => [e.EventId, (JSON.parse(String(e.Input)) as { value: number }).value]));
    const timerIds = new Set(history.filter((e) => e.EventType === EventType.TimerCreated).map((e) => e.EventId));
    assert.deepEqual([...scheduledValue.entries()].filter(([taskId]) => taskId < 10).map(([, value]) => value), items.map(({ value }) => value));

    // Every completion names the task it belongs to: each task ends once, with the right result.
    const ended = new Set<number>();
    const endOnce = (taskId: number) => {
      assert.ok(!ended.has(taskId), `task ${taskId} ended twice`);
      ended.add(taskId);
    };
    for (const event of history) {
      if (event.EventType === EventType.TaskCompleted) {
        const taskId = event.TaskScheduledId as number;
        endOnce(taskId);
        assert.equal(JSON.parse(String(event.Result)), scheduledValue.get(taskId)! ** 2, `result of task ${taskId}`);
      } else if (event.EventType === EventType.TaskFailed) {
        const taskId = event.TaskScheduledId as number;
        endOnce(taskId);
        assert.ok(taskId < 10 && failing.includes(scheduledValue.get(taskId)!), `failed task ${taskId}`);
        assert.match(String(event.Reason), /^Activity function 'squareAfter' failed: Injected failure/);
      } else if (event.EventType === EventType.TimerFired) {
        const timerId = event.TimerId as number;
        assert.ok(timerIds.has(timerId), `timer ${timerId} was never created`);
        endOnce(timerId);
      }
    }
    assert.equal(ended.size, 16);
    const retried = [...scheduledValue.entries()].filter(([taskId]) => taskId >= 10).map(([, value]) => value);
    assert.deepEqual(retried.sort(), failing);

    // The late completions came after every retry was scheduled: the retries interleaved with them.
    const position = (predicate: (e: HistoryEvent) => boolean) => history.findIndex(predicate);
    const lastRetryScheduled = Math.max(...[...scheduledValue.keys()].filter((taskId) => taskId >= 10).map((taskId) => position((e) => e.EventType === EventType.TaskScheduled && e.EventId === taskId)));
    for (const value of late) {
      const completedAt = position((e) => e.EventType === EventType.TaskCompleted && scheduledValue.get(e.TaskScheduledId as number) === value);
      assert.ok(completedAt > lastRetryScheduled, `completion of ${value} at ${completedAt}, last retry scheduled at ${lastRetryScheduled}`);
    }
  });

  test("retries stop after the maximum attempts and the failure reaches the orchestrator", async () => {
    const id = await start("withRetry", { key: "retry-exhausted", attempts: 3, activity: "alwaysFails" });
    const final = await finished(id);
    assert.equal(final.output.ok, false);
    assert.match(final.output.message, /Activity function 'alwaysFails' failed: always/);
    assert.equal(count(host.durable.getInstance(id)!.history, EventType.TaskScheduled), 3);
  });

  test("a duplicated delivery runs the body twice but the orchestration sees one result", async () => {
    const fault = host.faults.duplicateActivity("countExecution", { when: (input) => (input as { key: string }).key === "dup" });
    const final = await finished(await start("countOnce", { key: "dup" }));
    assert.equal(final.output, 1);
    assert.equal(await executions("dup"), 2);
    assert.equal(fault.triggered, 1);
  });

  test("a crash after the side effects reruns the activity and records the rerun's result", async () => {
    host.faults.crashAfterActivity("countExecution", { when: (input) => (input as { key: string }).key === "crash" });
    const final = await finished(await start("countOnce", { key: "crash" }));
    assert.equal(final.output, 2);
    assert.equal(await executions("crash"), 2);
  });

  test("a durable timer, then an external event raised through the client", async () => {
    const id = await start("timerThenEvent", { delayMs: 200 });
    while ((await status(id)).customStatus !== "waiting for approval") await new Promise((resolve) => setTimeout(resolve, 20));
    const raised = await fetch(`${host.url}/instances/${id}/events/approval`, { method: "POST", body: JSON.stringify({ by: "tester" }) });
    assert.equal(raised.status, 202);
    const final = await finished(id);
    assert.equal(final.runtimeStatus, "Completed");
    assert.deepEqual(final.output.approved, { by: "tester" });
    assert.ok(final.output.waitedMs >= 200);
    const history = host.durable.getInstance(id)!.history;
    assert.equal(count(history, EventType.TimerCreated), 2);
    assert.equal(count(history, EventType.EventRaised), 1);
  });

  test("continueAsNew restarts the orchestration with new input", async () => {
    const id = await start("countdown", 3, "countdown-1");
    assert.equal(id, "countdown-1");
    const final = await finished(id);
    assert.equal(final.output, "liftoff");
    assert.equal(final.input, 0);
    assert.equal(host.durable.getInstance(id)!.generations, 3);
  });

  test("orchestrator failures fail the instance and reach a parent orchestrator", async () => {
    const failed = await finished(await start("failing"));
    assert.equal(failed.runtimeStatus, "Failed");
    assert.match(String(failed.output), /Orchestrator function 'failing' failed: orchestrator broke/);
    const parent = await finished(await start("parentOfFailing"));
    assert.equal(parent.runtimeStatus, "Completed");
    assert.match(parent.output, /^caught: .*orchestrator broke/);
  });

  test("terminate, purge one instance and purge by filter through the client", async () => {
    const id = await start("waitForever");
    assert.equal((await fetch(`${host.url}/instances/${id}/terminate?reason=enough`, { method: "POST" })).status, 202);
    const terminated = await finished(id);
    assert.equal(terminated.runtimeStatus, "Terminated");
    assert.equal(terminated.output, "enough");

    const purged = await fetch(`${host.url}/instances/${id}`, { method: "DELETE" });
    assert.deepEqual(await purged.json(), { instancesDeleted: 1 });
    assert.equal((await fetch(`${host.url}/status/${id}`)).status, 404);

    const completedBefore = ((await (await fetch(`${host.url}/status?runtimeStatus=Completed`)).json()) as Status[]).length;
    assert.ok(completedBefore > 0);
    const byFilter = await fetch(`${host.url}/instances?runtimeStatus=Completed&from=${encodeURIComponent(new Date(0).toISOString())}`, { method: "DELETE" });
    assert.deepEqual(await byFilter.json(), { instancesDeleted: completedBefore });
    assert.deepEqual(await (await fetch(`${host.url}/status?runtimeStatus=Completed`)).json(), []);
    const remaining = (await (await fetch(`${host.url}/status`)).json()) as Status[];
    assert.ok(remaining.every((s) => s.runtimeStatus !== "Completed"));
  });

  test("the extension's HTTP API pages instance lists with continuation tokens", async () => {
    await finished(await start("countOnce", { key: "page-1" }));
    await finished(await start("countOnce", { key: "page-2" }));
    const all = host.durable.listInstances().length;
    assert.ok(all >= 3);
    const key = { "x-functions-key": host.systemKeys.durabletask_extension! };
    const first = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/?top=2`, { headers: key });
    assert.equal(((await first.json()) as unknown[]).length, 2);
    const token = first.headers.get("x-ms-continuation-token");
    assert.ok(token);
    const second = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/?top=100`, { headers: { ...key, "x-ms-continuation-token": token } });
    assert.equal(((await second.json()) as unknown[]).length, all - 2);
    assert.equal((await fetch(`${host.url}/runtime/webhooks/durabletask/instances/nope`, { headers: key })).status, 404);
  });

  test("the extension's webhooks need its system key, as on Azure; the app's own client links carry it", async () => {
    const systemKey = host.systemKeys.durabletask_extension!;
    assert.ok(systemKey.length >= 32);
    const id = await start("countOnce", { key: "keyed" });
    await finished(id);
    const webhooks = `${host.url}/runtime/webhooks/durabletask`;
    const calls: Array<[string, string]> = [
      ["GET", `${webhooks}/instances`],
      ["GET", `${webhooks}/instances/${id}`],
      ["DELETE", `${webhooks}/instances/${id}`],
      ["POST", `${webhooks}/instances/${id}/terminate?reason=x`],
      ["POST", `${webhooks}/orchestrators/countOnce`],
      ["DELETE", `${webhooks}/instances?runtimeStatus=Completed`],
    ];
    for (const [method, url] of calls) {
      for (const wrong of [{}, { "x-functions-key": "wrong" }, { "x-functions-key": `${systemKey}x` }] as Record<string, string>[]) {
        const refused = await fetch(url, { method, headers: wrong });
        assert.equal(refused.status, 401, `${method} ${url} without the key`);
        assert.equal(await refused.text(), "", "nothing of an instance is told");
      }
      const wrongCode = await fetch(`${url}${url.includes("?") ? "&" : "?"}code=${encodeURIComponent(systemKey.slice(1))}`, { method });
      assert.equal(wrongCode.status, 401);
    }
    assert.ok(host.durable.getInstance(id), "the refused DELETE deleted nothing");

    // The key as the host takes it: `code` in the query or the x-functions-key header.
    const byHeader = await fetch(`${webhooks}/instances/${id}`, { headers: { "x-functions-key": systemKey } });
    assert.equal(byHeader.status, 200);
    assert.equal(((await byHeader.json()) as Status).instanceId, id);
    const byCode = await fetch(`${webhooks}/instances?code=${encodeURIComponent(systemKey)}`);
    assert.equal(byCode.status, 200);

    // The management links df.getClient() hands out work as given (the key is in them).
    const started = await fetch(`${host.url}/orchestrators/countOnce`, { method: "POST", body: JSON.stringify({ key: "keyed-2" }) });
    const payload = (await started.json()) as { id: string; statusQueryGetUri: string; purgeHistoryDeleteUri: string };
    assert.equal(new URL(payload.statusQueryGetUri).searchParams.get("code"), systemKey);
    await host.durable.waitForInstance(payload.id, { timeoutMs: 20_000 });
    const viaLink = await fetch(payload.statusQueryGetUri);
    assert.equal(viaLink.status, 200);
    assert.equal(((await viaLink.json()) as Status).runtimeStatus, "Completed");
    assert.equal((await fetch(payload.purgeHistoryDeleteUri, { method: "DELETE" })).status, 200);
  });
});

describe("timer triggers", () => {
  test("fire on demand with a timer object like the host's", async () => {
    await host.fireTimer("tick");
    const runs = (await (await fetch(`${host.url}/timer-runs`)).json()) as { count: number; last: any };
    assert.equal(runs.count, 1);
    assert.equal(runs.last.isPastDue, false);
    assert.equal(runs.last.schedule.adjustForDST, true);
    assert.ok(Date.parse(runs.last.scheduleStatus.next) > Date.now());
    assert.equal(new Date(runs.last.scheduleStatus.next).getUTCMinutes() % 5, 0);
  });

  test("a timer function that throws rejects fireTimer", async () => {
    await assert.rejects(host.fireTimer("brokenTimer"), /timer failed on purpose/);
    await assert.rejects(host.fireTimer("nope"), /No timer-triggered function/);
  });
});
