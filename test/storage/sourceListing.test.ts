import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { ContainerClient } from "@azure/storage-blob";
import { openContainer } from "../../src/storage/containerAccess.js";
import { parseContainerUrl } from "../../src/storage/containerUrl.js";
import { listContainerDocuments, readFileList, SourceError, type SourceDocument } from "../../src/storage/sourceListing.js";
import { collect, storageFixture, type StorageFixture } from "./storageFixture.js";

let fx: StorageFixture;
before(async () => {
  fx = await storageFixture();
});
after(async () => {
  await fx.azurite.stop();
});

/** A seeded container opened the way the app opens a caller's container: through a read/list SAS. */
async function sourceContainer(label: string, blobs: Record<string, string>, markers: string[] = []): Promise<ContainerClient> {
  const admin = await fx.newContainer(label);
  for (const [name, body] of Object.entries(blobs)) await admin.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
  // ADLS-style directory markers: empty blobs flagged hdi_isfolder, and zero-byte names ending in '/'.
  for (const marker of markers) {
    await admin.getBlockBlobClient(marker).upload("", 0, marker.endsWith("/") ? {} : { metadata: { hdi_isfolder: "true" } });
  }
  return openContainer(parseContainerUrl(await fx.sasUrl(admin, "rl"), fx.policy, "azureBlobSource.containerUrl"), fx.app);
}

async function failure(pages: AsyncIterable<SourceDocument[]>): Promise<SourceError> {
  try {
    await collect(pages);
  } catch (error) {
    assert.ok(error instanceof SourceError, `expected a SourceError, got ${error}`);
    return error;
  }
  assert.fail("no error");
}

test("lists nested folders under a prefix across several pages, skipping directory markers", async () => {
  const container = await sourceContainer(
    "nested",
    {
      "in/a.pdf": "a",
      "in/b.png": "bb",
      "in/2024/c.pdf": "ccc",
      "in/2024/05/d.tiff": "dddd",
      "in/2024/05/deep/e.docx": "eeeee",
      "inbox/not-under-prefix.pdf": "x",
      "out/f.pdf": "f",
    },
    ["in/2024", "in/2024/05", "in/empty/"],
  );
  const { pages, items } = await collect(listContainerDocuments(container, "in/", { pageSize: 2 }));
  assert.deepEqual(
    items.map((d) => [d.name, d.size]),
    [["in/2024/05/d.tiff", 4], ["in/2024/05/deep/e.docx", 5], ["in/2024/c.pdf", 3], ["in/a.pdf", 1], ["in/b.png", 2]],
  );
  assert.ok(pages.length >= 3, `several pages, got ${pages.length}`);
  assert.ok(pages.every((page) => page.length > 0 && page.length <= 2));
  // No prefix: the whole container.
  const everything = await collect(listContainerDocuments(container));
  assert.equal(everything.items.length, 7);
});

test("names with spaces, unicode, '#', '?' and '%' list and download exactly", async () => {
  const names = ["my docs/annual report 2024.pdf", "ünïcödé/日本語 ファイル.pdf", "hash#1.pdf", "what?.pdf", "100%.pdf", "emoji 📄.png"];
  const container = await sourceContainer("names", Object.fromEntries(names.map((name) => [name, `body of ${name}`])));
  const { items } = await collect(listContainerDocuments(container));
  assert.deepEqual(items.map((d) => d.name).sort(), [...names].sort());
  for (const { name } of items) {
    assert.equal((await container.getBlobClient(name).downloadToBuffer()).toString(), `body of ${name}`);
  }
});

test("an empty prefix match yields no pages", async () => {
  const container = await sourceContainer("emptyprefix", { "a.pdf": "a" });
  const { pages } = await collect(listContainerDocuments(container, "nothing-here/"));
  assert.deepEqual(pages, []);
});

test("an aborted listing rethrows the abort, not a SourceError", async () => {
  const container = await sourceContainer("abort", { "a.pdf": "a", "b.pdf": "b", "c.pdf": "c" });
  const controller = new AbortController();
  await assert.rejects(
    (async () => {
      for await (const _page of listContainerDocuments(container, undefined, { pageSize: 1, signal: controller.signal })) controller.abort();
    })(),
    (error: unknown) => !(error instanceof SourceError) && (error as Error).name === "AbortError",
  );
});

test("a file list is read line by line in pages; blank lines and CRLF are fine; listed files are not checked", async () => {
  const lines = ['\uFEFF{"file": "in/a.pdf"}', "", '{"file":"in/sub dir/b #1.pdf"}\r', "   ", '{"file":"does/not/exist.pdf","note":"extra fields are ignored"}', '{"file":"日本語.pdf"}', ""];
  const container = await sourceContainer("filelist", { "lists/batch.jsonl": lines.join("\n"), "in/a.pdf": "a" });
  const { pages, items } = await collect(readFileList(container, "lists/batch.jsonl", { pageSize: 3 }));
  assert.deepEqual(items, [{ name: "in/a.pdf" }, { name: "in/sub dir/b #1.pdf" }, { name: "does/not/exist.pdf" }, { name: "日本語.pdf" }]);
  assert.deepEqual(pages.map((page) => page.length), [3, 1]);
});

test("a long file list is streamed across many chunks", async () => {
  const count = 20_000;
  const body = Array.from({ length: count }, (_, i) => JSON.stringify({ file: `folder ${i % 7}/document-${i}.pdf` })).join("\n");
  const container = await sourceContainer("longlist", { "list.jsonl": body });
  let seen = 0;
  let last = "";
  for await (const page of readFileList(container, "list.jsonl", { pageSize: 1000 })) {
    seen += page.length;
    last = page[page.length - 1].name;
  }
  assert.equal(seen, count);
  assert.equal(last, `folder ${(count - 1) % 7}/document-${count - 1}.pdf`);
});

test("a malformed line fails the list with InvalidFileList and its line number", async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"file":"a.pdf"}\n\n{"file": "b.pdf"\n{"file":"c.pdf"}', /line 3: not valid JSON/],
    ['{"file":"a.pdf"}\n"just a string"', /line 2: not a JSON object/],
    ['{"name":"a.pdf"}', /line 1: "file" is missing or not a string/],
    ['{"file":"a.pdf"}\n{"file":""}', /line 2: "file" must be 1-1024 characters/],
    ['{"file":"folder/"}', /line 1: "file" names a folder/],
  ];
  for (const [index, [body, message]] of cases.entries()) {
    const container = await sourceContainer(`badlist${index}`, { "list.jsonl": body });
    const error = await failure(readFileList(container, "list.jsonl"));
    assert.equal(error.code, "InvalidFileList");
    assert.match(error.message, message);
    assert.match(error.message, /expected \{"file": "name"\}/);
  }
});

test("an empty or blank-only file list is InvalidFileList", async () => {
  const container = await sourceContainer("blanklist", { "empty.jsonl": "", "blank.jsonl": "\n  \n\r\n" });
  for (const name of ["empty.jsonl", "blank.jsonl"]) {
    const error = await failure(readFileList(container, name));
    assert.equal(error.code, "InvalidFileList");
    assert.match(error.message, /is empty/);
  }
});

test("a runaway line is refused instead of buffered", async () => {
  const container = await sourceContainer("runaway", { "list.jsonl": `{"file":"a.pdf"}\n{"file":"${"x".repeat(200_000)}"}` });
  const error = await failure(readFileList(container, "list.jsonl"));
  assert.equal(error.code, "InvalidFileList");
  assert.match(error.message, /line 2: longer than/);
});

test("a missing file list is FileListNotFound; a missing container is ContainerNotFound", async () => {
  const container = await sourceContainer("nolist", { "a.pdf": "a" });
  const missing = await failure(readFileList(container, "lists/missing.jsonl"));
  assert.equal(missing.code, "FileListNotFound");
  assert.match(missing.message, /lists\/missing\.jsonl/);
  assert.doesNotMatch(missing.message, /sig=/);

  const gone = openContainer(parseContainerUrl(`${fx.azurite.blobEndpoint}/no-such-container-list`, fx.policy, "t"), fx.app);
  assert.equal((await failure(readFileList(gone, "list.jsonl"))).code, "ContainerNotFound");
});
