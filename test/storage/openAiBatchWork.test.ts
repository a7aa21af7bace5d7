import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { LINES_PER_PART, OpenAiBatchWork } from "../../src/storage/openAiBatchWork.js";
import { storageFixture, type StorageFixture } from "./storageFixture.js";

let fx: StorageFixture;
before(async () => {
  fx = await storageFixture();
});
after(async () => {
  await fx.azurite.stop();
});

const line = (index: number) => JSON.stringify({ custom_id: `task-${index}`, response: { status_code: 200, body: { usage: { total_tokens: index } } } });

test("outputsRecorded finds the lines with an output, also ones appended after an earlier look, in every part", async () => {
  const prefix = `w${randomUUID().replaceAll("-", "").slice(0, 10)}`;
  const work = new OpenAiBatchWork(fx.app, { prefix });
  const batchId = randomUUID();
  const far = LINES_PER_PART + 7;

  assert.deepEqual(await work.outputsRecorded(batchId, [0, 1, 2]), new Set(), "nothing recorded yet (no part)");
  await work.appendResult(batchId, 3, "output", line(3));
  await work.appendResult(batchId, 5, "error", line(5));
  assert.deepEqual(await work.outputsRecorded(batchId, [3, 4, 5]), new Set([3]), "an error record is not an answer to keep");
  assert.deepEqual(await work.outputsRecorded(batchId, [3, 4, 5]), new Set([3]), "nothing new appended: still found");

  // Appended after this instance last read the part: its next look reads on from there.
  await work.appendResult(batchId, 4, "output", line(4));
  await work.appendResult(batchId, far, "output", line(far));
  assert.deepEqual(await work.outputsRecorded(batchId, [3, 4, 5, far]), new Set([3, 4, far]));

  // Another instance (a restarted process) reads the parts from their start.
  const restarted = new OpenAiBatchWork(fx.app, { prefix });
  assert.deepEqual(await restarted.outputsRecorded(batchId, [2, 3, 4, 5, far, far + 1]), new Set([3, 4, far]));
  const part = await restarted.readPart(batchId, 0);
  assert.equal(part.get(4)?.[0]?.line, line(4));
});

test("lookups of one part at once each see what was recorded before they asked", async () => {
  const work = new OpenAiBatchWork(fx.app, { prefix: `w${randomUUID().replaceAll("-", "").slice(0, 10)}` });
  const batchId = randomUUID();
  await work.appendResult(batchId, 0, "output", line(0));
  const lookups = Array.from({ length: 8 }, (_, i) => work.outputsRecorded(batchId, [i]));
  await work.appendResult(batchId, 1, "output", line(1));
  const late = work.outputsRecorded(batchId, [1]);
  const found = await Promise.all([...lookups, late]);
  assert.deepEqual(found[0], new Set([0]));
  assert.deepEqual(found[8], new Set([1]), "a lookup made after the append sees it");
});
