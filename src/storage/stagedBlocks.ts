import type { Readable } from "node:stream";
import type { BlockBlobClient } from "@azure/storage-blob";

export interface StageOptions {
  /** The id of the n-th block (every block id of one blob must have the same length). */
  blockId(index: number): string;
  /** Bytes per block; the last may be shorter. */
  blockBytes: number;
  /** Blocks sent at once. Memory held is about (concurrency + 1) × blockBytes. */
  concurrency: number;
}

/**
 * Streams `content` into uncommitted blocks of `blob` without holding it whole: a stream's
 * length is unknown up front and stageBlock needs one, so it goes as fixed-size blocks. Returns
 * the ids in order and the byte count; nothing is visible until a commitBlockList names them.
 */
export async function stageAsBlocks(blob: BlockBlobClient, content: Readable, options: StageOptions): Promise<{ blockIds: string[]; bytes: number }> {
  const blockIds: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  const send = async (chunk: Buffer) => {
    const id = options.blockId(blockIds.length);
    blockIds.push(id);
    const sent = blob.stageBlock(id, chunk, chunk.byteLength).then(
      () => undefined,
      (error: unknown) => void (failure ??= error),
    );
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
    // Back-pressure: reading waits while the blocks in flight are at the limit.
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    if (failure) throw failure;
  };

  for await (const piece of content as AsyncIterable<Buffer>) {
    let chunk = piece;
    bytes += chunk.byteLength;
    while (pendingBytes + chunk.byteLength >= options.blockBytes) {
      const take = options.blockBytes - pendingBytes;
      pending.push(chunk.subarray(0, take));
      chunk = chunk.subarray(take);
      await send(Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
    }
    if (chunk.byteLength > 0) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
    }
  }
  if (pendingBytes > 0) await send(Buffer.concat(pending));
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { blockIds, bytes };
}
