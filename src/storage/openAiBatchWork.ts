import type { ContainerClient } from "@azure/storage-blob";
import { LRUCache } from "lru-cache";
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
  /** What this instance has read of each part, for outputsRecorded (parts of running batches). */
  private readonly tails = new LRUCache<string, PartTail>({ max: 512 });

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
    const part = this.container.getAppendBlobClient(partName(batchId, Math.floor(index / LINES_PER_PART)));
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
    const bytes = await this.download(partName(batchId, part));
    if (!bytes) return byIndex;
    for (const record of parseRecords(bytes.toString("utf8"))) {
      let line = record.line;
      if (record.large) {
        const large = await this.download(`${batchId}/large/${record.index}.${FILE_MARK[record.file]}`);
        if (!large) continue;
        line = large.toString("utf8");
      }
      const entries = byIndex.get(record.index) ?? [];
      entries.push({ file: record.file, line });
      byIndex.set(record.index, entries);
    }
    return byIndex;
  }

  /**
   * Which of `indexes` have an output recorded (an earlier run's answer). Each part is read from
   * where this instance last stopped (parts only grow), so in a batch's normal run this is one
   * small read per call (per group of lines) and each byte is read once per instance.
   */
  async outputsRecorded(batchId: string, indexes: readonly number[]): Promise<Set<number>> {
    const parts = new Set(indexes.map((index) => Math.floor(index / LINES_PER_PART)));
    const seen = await Promise.all([...parts].map((part) => this.refreshTail(partName(batchId, part))));
    const found = new Set<number>();
    for (const index of indexes) if (seen.some((tail) => tail.outputs.has(index))) found.add(index);
    return found;
  }

  private refreshTail(name: string): Promise<PartTail> {
    let tail = this.tails.get(name);
    if (!tail) {
      tail = { length: 0, outputs: new Set() };
      this.tails.set(name, tail);
    }
    // Reads of a part run one after another, each from where the last stopped, and each caller's
    // starts after its call: it sees whatever was recorded before it asked.
    const known = tail;
    const read = (known.reading ?? Promise.resolve()).catch(() => undefined).then(() => this.readTail(name, known));
    known.reading = read;
    return read.then(() => known);
  }

  private async readTail(name: string, tail: PartTail): Promise<void> {
    let bytes: Buffer;
    try {
      const response = await this.container.getBlobClient(name).download(tail.length);
      bytes = await streamToBuffer(response.readableStreamBody);
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      // 404: no line of the part recorded yet; 416: nothing appended since the last read.
      if (status === 404 || status === 416) return;
      throw error;
    }
    tail.length += bytes.length;
    for (const record of parseRecords(bytes.toString("utf8"))) if (record.file === "output") tail.outputs.add(record.index);
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

/** How far a part has been read, and which of its lines have an output record in what was read. */
interface PartTail {
  length: number;
  outputs: Set<number>;
  reading?: Promise<void>;
}

function partName(batchId: string, part: number): string {
  return `${batchId}/parts/${String(part).padStart(6, "0")}`;
}

/** A part's records (`<index>\t<o|e>[L]\t<json>` lines); an append is whole records, so a tail read from a record's start is too. */
function* parseRecords(text: string): Iterable<{ index: number; file: ResultFileKind; large: boolean; line: string }> {
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const record = text.slice(start, end);
    start = end + 1;
    const firstTab = record.indexOf("\t");
    const secondTab = record.indexOf("\t", firstTab + 1);
    if (firstTab < 0 || secondTab < 0) continue;
    const mark = record.slice(firstTab + 1, secondTab);
    yield {
      index: Number(record.slice(0, firstTab)),
      file: mark.startsWith(FILE_MARK.output) ? "output" : "error",
      large: mark.endsWith(LARGE_SUFFIX),
      line: record.slice(secondTab + 1),
    };
  }
}

async function streamToBuffer(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (stream) for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}
