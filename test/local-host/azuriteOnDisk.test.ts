import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TableClient } from "@azure/data-tables";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { startAzurite, StorageNotSavedError, type RunningAzurite } from "../../local-host/azurite.js";
import { GroupCommit } from "../../local-host/storage/groupCommit.js";
import { completeInterruptedCommit } from "../../local-host/storage/lokiStores.js";

function clients(azurite: RunningAzurite) {
  const table = TableClient.fromConnectionString(azurite.connectionString, "flushed", { allowInsecureConnection: true });
  const blobs = new BlobServiceClient(azurite.blobEndpoint, new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey)).getContainerClient("flushed");
  return { table, blobs };
}

async function killed(azurite: RunningAzurite): Promise<void> {
  process.kill(azurite.pid!, "SIGKILL");
  await azurite.exited;
}

test("on disk, what Azurite answered before a flush survives a SIGKILL of Azurite: table rows, blob content and metadata", { timeout: 120_000 }, async () => {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-azurite-disk-"));
  // Starting at all checks the installed Azurite is built as the launcher expects.
  let azurite = await startAzurite({ location });
  try {
    let { table, blobs } = clients(azurite);
    await table.createTable();
    await blobs.create();
    for (let i = 0; i < 20; i++) {
      await table.createEntity({ partitionKey: "p", rowKey: `r${i}`, value: i });
      await blobs.getBlockBlobClient(`b${i}.txt`).upload(`content ${i}`, `content ${i}`.length, { metadata: { index: String(i) } });
    }
    // An overwritten blob reads back as its last content.
    await blobs.getBlockBlobClient("b0.txt").upload("rewritten", 9);
    await azurite.flush!();
    await killed(azurite);
    await assert.rejects(azurite.flush!(), StorageNotSavedError);

    azurite = await startAzurite({ location, ports: azurite.ports });
    ({ table, blobs } = clients(azurite));
    const rows = [];
    for await (const row of table.listEntities<{ value: number }>()) rows.push(row.value);
    assert.deepEqual(rows.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
    assert.equal((await blobs.getBlobClient("b0.txt").downloadToBuffer()).toString(), "rewritten");
    for (let i = 1; i < 20; i++) {
      const blob = blobs.getBlobClient(`b${i}.txt`);
      assert.equal((await blob.downloadToBuffer()).toString(), `content ${i}`);
      assert.equal((await blob.getProperties()).metadata?.index, String(i));
    }
  } finally {
    await azurite.stop();
    fs.rmSync(location, { recursive: true, force: true });
  }
});

test("a group commit runs one piece of work at a time; callers arriving during a run share the next one", async () => {
  let runs = 0;
  let inFlight = 0;
  const releases: (() => void)[] = [];
  const commits = new GroupCommit(async () => {
    runs++;
    inFlight++;
    assert.equal(inFlight, 1, "never two runs at once");
    await new Promise<void>((resolve) => releases.push(resolve));
    inFlight--;
  });
  const first = commits.run();
  const during = [commits.run(), commits.run(), commits.run()];
  assert.equal(runs, 1);
  releases.shift()!();
  await first;
  // The three that came during the first run share the second, which has started by now.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(runs, 2);
  const later = commits.run();
  releases.shift()!();
  await Promise.all(during);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(runs, 3, "a caller during the second run gets a third");
  releases.shift()!();
  await later;
  assert.equal(runs, 3);
});

test("a save killed after its commit point is completed at the next start; one killed before it is dropped", () => {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), "docbatch-commit-"));
  try {
    const file = (name: string) => path.join(location, name);
    // Committed: the record lists both; the kill came after the first was switched in.
    fs.writeFileSync(file("a.json"), "a new");
    fs.writeFileSync(file("b.json"), "b old");
    fs.writeFileSync(file("b.json.next"), "b new");
    fs.writeFileSync(file("azurite-commit.json"), JSON.stringify({ files: [{ next: file("a.json.next"), file: file("a.json") }, { next: file("b.json.next"), file: file("b.json") }] }));
    completeInterruptedCommit(location);
    assert.equal(fs.readFileSync(file("a.json"), "utf8"), "a new");
    assert.equal(fs.readFileSync(file("b.json"), "utf8"), "b new");
    assert.ok(!fs.existsSync(file("azurite-commit.json")));

    // Not committed: next files written, the record never was.
    fs.writeFileSync(file("a.json.next"), "a newer");
    fs.writeFileSync(file("azurite-commit.json.tmp"), "{");
    completeInterruptedCommit(location);
    assert.equal(fs.readFileSync(file("a.json"), "utf8"), "a new");
    assert.deepEqual(fs.readdirSync(location).sort(), ["a.json", "b.json"]);
  } finally {
    fs.rmSync(location, { recursive: true, force: true });
  }
});
