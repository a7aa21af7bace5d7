import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { freePort } from "../support/azurite.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, "../../local-host/cli.js");
// dist/test/local-host -> dist/test/fixtures/sampleApp/index.js
const sampleApp = path.resolve(here, "../fixtures/sampleApp/index.js");

interface RunningLocal {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** `npm run local --data dir --entry <sample app>` as its own process: one local host per process. */
async function startLocal(dataDir: string, port: number): Promise<RunningLocal> {
  const child = spawn(process.execPath, [cli, "--data", dataDir, "--port", String(port), "--entry", sampleApp], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SAMPLE_TICK_SCHEDULE: "0 */5 * * * *" },
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let url: string | undefined;
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.startsWith("DOCBATCH_URL=")) {
      url = line.slice("DOCBATCH_URL=".length).replace(/\/$/, "");
      break;
    }
  }
  assert.ok(url, stderr);
  return { child, url, exited };
}

async function start(local: RunningLocal, name: string, input: unknown): Promise<string> {
  const response = await fetch(`${local.url}/orchestrators/${name}`, { method: "POST", body: JSON.stringify(input) });
  assert.equal(response.status, 202, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

async function status(local: RunningLocal, id: string): Promise<{ runtimeStatus: string; output: any; customStatus: any }> {
  const response = await fetch(`${local.url}/status/${encodeURIComponent(id)}`);
  assert.equal(response.status, 200);
  return (await response.json()) as { runtimeStatus: string; output: any; customStatus: any };
}

async function settled(local: RunningLocal, id: string) {
  for (;;) {
    const current = await status(local, id);
    if (!["Running", "Pending"].includes(current.runtimeStatus)) return current;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("the sample app's timers, external events, continueAsNew and sub-orchestrations resume after a restart on the same --data folder", { timeout: 180_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-sample-restart-"));
  const port = await freePort();
  let local = await startLocal(dataDir, port);
  try {
    // Each long enough to be unfinished when the first run stops.
    const timerThenEvent = await start(local, "timerThenEvent", { delayMs: 3_000 });
    const countdown = await start(local, "countdown", 400);
    const fanOut = await start(local, "fanOutFanIn", { groups: 3, perGroup: 4, key: "restart" });
    assert.notEqual((await status(local, timerThenEvent)).runtimeStatus, "Completed");
    assert.notEqual((await status(local, countdown)).runtimeStatus, "Completed");
    local.child.kill("SIGTERM");
    assert.equal(await local.exited, 0);

    local = await startLocal(dataDir, port);
    while ((await status(local, timerThenEvent)).customStatus !== "waiting for approval") await new Promise((resolve) => setTimeout(resolve, 50));
    const raised = await fetch(`${local.url}/instances/${timerThenEvent}/events/approval`, { method: "POST", body: JSON.stringify({ by: "after restart" }) });
    assert.equal(raised.status, 202);

    const approved = await settled(local, timerThenEvent);
    assert.equal(approved.runtimeStatus, "Completed");
    assert.deepEqual(approved.output.approved, { by: "after restart" });
    assert.ok(approved.output.waitedMs >= 3_000, "the timer kept its due time across the restart");

    const counted = await settled(local, countdown);
    assert.equal(counted.runtimeStatus, "Completed");
    assert.equal(counted.output, "liftoff");

    const fanned = await settled(local, fanOut);
    assert.equal(fanned.runtimeStatus, "Completed");
    const squares = Array.from({ length: 12 }, (_, i) => (i + 1) ** 2);
    assert.equal(fanned.output.total, squares.reduce((a, b) => a + b, 0));
    assert.equal(fanned.output.sums.length, 3);
  } finally {
    local.child.kill("SIGTERM");
    await local.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
