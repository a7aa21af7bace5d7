import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InMemoryStatusStore } from "../../src/engine/inMemoryStatusStore.js";
import type { ItemRecord } from "../../src/engine/model.js";
import { SettledItemBlocks } from "../../src/engine/settledItemBlocks.js";

async function givenBatch(itemCount: number) {
  const store = new InMemoryStatusStore();
  const batchId = "batch-1";
  await store.createBatch({ kind: "fake", batchId, status: "processing", createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), cancelRequested: false, deleted: false, spec: "{}", itemCount });
  await store.addItems(batchId, 0, Array.from({ length: itemCount }, (_, i) => ({ name: `item-${i}` })));
  const reads: number[] = [];
  const counting = {
    listItemRange(id: string, first: number, count: number) {
      reads.push(first);
      return store.listItemRange(id, first, count);
    },
  };
  return { store, batchId, reads, blocks: new SettledItemBlocks(counting, { blockSize: 10 }) };
}

async function all(pages: AsyncIterable<readonly ItemRecord[]>): Promise<ItemRecord[]> {
  const rows: ItemRecord[] = [];
  for await (const page of pages) rows.push(...page);
  return rows;
}

describe("settled item blocks", () => {
  it("re-reads only the blocks that still move, and always answers what the store holds", async () => {
    const { store, batchId, reads, blocks } = await givenBatch(25);
    for (let i = 0; i < 10; i++) await store.finishItem(batchId, i, "succeeded");
    await store.finishItem(batchId, 12, "failed", { error: { code: "Broken", message: "bad" } });

    const first = await all(blocks.listItems(batchId, 25));
    assert.deepEqual(first.map((r) => r.index), Array.from({ length: 25 }, (_, i) => i));
    assert.deepEqual(reads, [0, 10, 20]);
    assert.ok(first.every((row) => !("etag" in row)), "no etags leave the store");

    for (let i = 10; i < 20; i++) if (i !== 12) await store.finishItem(batchId, i, "succeeded");
    reads.length = 0;
    const second = await all(blocks.listItems(batchId, 25));
    assert.deepEqual(reads, [10, 20], "the settled first block came from memory");
    assert.equal(second[12]!.status, "failed");
    assert.equal(second[12]!.error?.code, "Broken");
    assert.ok(second.slice(0, 20).every((row) => row.status !== "notStarted"));

    reads.length = 0;
    const third = await all(blocks.listItems(batchId, 25));
    assert.deepEqual(reads, [20], "only the block with unsettled items is read again");
    assert.deepEqual(third.slice(0, 20), second.slice(0, 20));
    assert.equal(third[20]!.status, "notStarted");
  });

  it("does not keep a block that was read before all its rows were added", async () => {
    const store = new InMemoryStatusStore();
    await store.createBatch({ kind: "fake", batchId: "b", status: "processing", createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), cancelRequested: false, deleted: false, spec: "{}", itemCount: 4 });
    await store.addItems("b", 0, [{ name: "a" }, { name: "b" }]);
    await store.finishItem("b", 0, "succeeded");
    await store.finishItem("b", 1, "succeeded");
    const blocks = new SettledItemBlocks(store, { blockSize: 10 });
    assert.equal((await all(blocks.listItems("b", 4))).length, 2);
    await store.addItems("b", 2, [{ name: "c" }, { name: "d" }]);
    assert.equal((await all(blocks.listItems("b", 4))).length, 4);
  });
});
