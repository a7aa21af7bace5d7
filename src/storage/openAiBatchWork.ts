import type { ContainerClient } from "@azure/storage-blob";
import type { AppStorage } from "./appStorage.js";
import { ownContainer } from "./ownContainer.js";

/** Which of a batch's two result files a line belongs in. */
export type ResultFileKind = "output" | "error";

/** One result line as a line's processing wrote it; a line processed twice has two. */
export interface RecordedResult {
  file: ResultFileKind;
  /** The JSONL line, without its newline. */
  line: string;
}

/** Lines per part blob: finalize holds one part in memory at a time. */
export const LINES_PER_PART = 256;
/** The largest record one append may carry (the Blob service's append block limit is 4 MiB). */
const MAX_APPEND_BYTES = 4 * 1024 * 1024 - 1024;
const FILE_MARK: Record<ResultFileKind, string> = { output: "o", error: "e" };
const LARGE_SUFFIX = "L";

/**
 * What an OpenAI batch keeps while it runs, in docbatch's own account, one prefix per batch:
 * `<batch>/validated.json` what validation learnt of the input; `<batch>/parts/<n>` an append
 * blob per LINES_PER_PART lines holding each line's result as `<index>\t<o|e>\t<json>` records
 * (a result too large for one append goes to `<batch>/large/<index>.<o|e>` and the record points
 * there). Appends are idempotent enough: a line processed again appends again, and finalize
 * keeps the record that matches the line's settled status. Purging a batch deletes its prefix.
 */
export class OpenAiBatchWork {
  private readonly container: ContainerClient;
  private readonly ensureContainer: () => Promise<unknown>;

  constructor(storage: AppStorage, options: { prefix: string }) {
    const own = ownContainer(storage.blobService, options.prefix, "openai-batches");
    this.container = own.container;
    this.ensureContainer = own.ready;
  }

  async writeJson(batchId: string, name: string, value: unknown): Promise<void> {
    await this.ensureContainer();
    const text = JSON.stringify(value);
    await this.container.getBlockBlobClient(`${batchId}/${name}`).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: "application/json" } });
  }

  async readJson<T>(batchId: string, name: string): Promise<T | undefined> {
    const bytes = await this.download(`${batchId}/${name}`);
    return bytes ? (JSON.parse(bytes.toString("utf8")) as T) : undefined;
  }

  /** Records a line's result in its part. */
  async appendResult(batchId: string, index: number, file: ResultFileKind, line: string): Promise<void> {
    await this.ensureContainer();
    let record = `${index}\t${FILE_MARK[file]}\t${line}\n`;
    if (Buffer.byteLength(record) > MAX_APPEND_BYTES) {
      const name = `${batchId}/large/${index}.${FILE_MARK[file]}`;
      await this.container.getBlockBlobClient(name).upload(line, Buffer.byteLength(line));
      record = `${index}\t${FILE_MARK[file]}${LARGE_SUFFIX}\t\n`;
    }
    const part = this.container.getAppendBlobClient(`${batchId}/parts/${String(Math.floor(index / LINES_PER_PART)).padStart(6, "0")}`);
    try {
      await part.appendBlock(record, Buffer.byteLength(record));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await part.createIfNotExists();
      await part.appendBlock(record, Buffer.byteLength(record));
    }
  }

  /** The results recorded in part `part`, by line index, in the order they were appended. */
  async readPart(batchId: string, part: number): Promise<Map<number, RecordedResult[]>> {
    const byIndex = new Map<number, RecordedResult[]>();
    const bytes = await this.download(`${batchId}/parts/${String(part).padStart(6, "0")}`);
    if (!bytes) return byIndex;
    const text = bytes.toString("utf8");
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      const record = text.slice(start, end);
      start = end + 1;
      const firstTab = record.indexOf("\t");
      const secondTab = record.indexOf("\t", firstTab + 1);
      if (firstTab < 0 || secondTab < 0) continue;
      const index = Number(record.slice(0, firstTab));
      const mark = record.slice(firstTab + 1, secondTab);
      const file: ResultFileKind = mark.startsWith(FILE_MARK.output) ? "output" : "error";
      let line = record.slice(secondTab + 1);
      if (mark.endsWith(LARGE_SUFFIX)) {
        const large = await this.download(`${batchId}/large/${index}.${FILE_MARK[file]}`);
        if (!large) continue;
        line = large.toString("utf8");
      }
      const entries = byIndex.get(index) ?? [];
      entries.push({ file, line });
      byIndex.set(index, entries);
    }
    return byIndex;
  }

  async purge(batchId: string): Promise<void> {
    await this.ensureContainer();
    for await (const blob of this.container.listBlobsFlat({ prefix: `${batchId}/` })) {
      await this.container.getBlobClient(blob.name).deleteIfExists();
    }
  }

  private async download(name: string): Promise<Buffer | undefined> {
    try {
      return await this.container.getBlobClient(name).downloadToBuffer();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}
