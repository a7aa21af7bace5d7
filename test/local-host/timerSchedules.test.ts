// Timers on their schedules, as `npm run local` runs them. Its own file (so its own process):
// one process loads the sample app once, and the other sample app tests fire timers on demand.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { useAzurite, type RunningAzurite } from "../support/azurite.js";
import { startLocalHost, type LocalHost } from "../../local-host/index.js";

const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/sampleApp/index.js");
let azurite: RunningAzurite;
let host: LocalHost;
/** Ticks as the tick function logs them ("tick <n>"), which still works once the server is closed. */
const ticks: string[] = [];

interface TimerSeen {
  isPastDue: boolean;
  schedule: { adjustForDST: boolean };
  scheduleStatus: { last: string; next: string; lastUpdated: string };
}

before(async () => {
  azurite = await useAzurite();
  host = await startLocalHost({
    entry,
    // Every second, from an app setting as in production (%SETTING% in the schedule).
    env: { AzureWebJobsStorage: azurite.connectionString, SAMPLE_TICK_SCHEDULE: "*/1 * * * * *" },
    runTimerSchedules: true,
    log: (entry) => {
      if (entry.functionName === "tick" && entry.message.startsWith("tick ")) ticks.push(entry.message);
    },
  });
});
after(async () => {
  await host?.close();
  await azurite?.stop();
});

async function timerRuns(): Promise<TimerSeen[]> {
  return ((await (await fetch(`${host.url}/timer-runs`)).json()) as { runs: TimerSeen[] }).runs;
}

test("a timer fires on its NCRONTAB schedule from an app setting, and close() stops it", async () => {
  let runs: TimerSeen[] = [];
  for (const deadline = Date.now() + 15_000; runs.length < 2 && Date.now() < deadline; await sleep(100)) runs = await timerRuns();
  assert.ok(runs.length >= 2, `fired ${runs.length} times within 15 s`);

  for (const run of runs) {
    assert.equal(typeof run.isPastDue, "boolean");
    assert.deepEqual(run.schedule, { adjustForDST: true });
    const next = new Date(run.scheduleStatus.next);
    // An every-second schedule has its occurrences on whole seconds.
    assert.equal(next.getUTCMilliseconds(), 0, run.scheduleStatus.next);
    assert.ok(next > new Date(run.scheduleStatus.last), JSON.stringify(run.scheduleStatus));
    assert.ok(!Number.isNaN(Date.parse(run.scheduleStatus.lastUpdated)));
  }
  // The schedule status moves on from one occurrence to the next.
  assert.ok(new Date(runs[1].scheduleStatus.last) > new Date(runs[0].scheduleStatus.last));
  assert.ok(new Date(runs[1].scheduleStatus.next) > new Date(runs[0].scheduleStatus.next));
  assert.ok(ticks.length >= runs.length);

  // close() waits for a tick under way, then no occurrence fires any more: two more periods pass.
  await host.close();
  const atClose = ticks.length;
  await sleep(2_500);
  assert.equal(ticks.length, atClose, `ticks after close: ${ticks.slice(atClose).join(", ")}`);
});
