import { Transform, type Readable } from "node:stream";

export interface CountedStream {
  body: Readable;
  bytes(): number;
  /** Throws the error that ended `content` before a consumer started reading `body`. */
  throwIfFailed(): void;
}

/**
 * `content` piped through a byte counter, for streaming into a blob. Call it before the first
 * await: an upload part may already be flowing, and bytes emitted before anything listens
 * would be lost. An error of `content` ends the counted stream with it; one that comes before
 * the consumer listens (an upload refused at once) is kept for `throwIfFailed` instead of
 * crashing the process, and the consumer must call that before it starts reading.
 */
export function countedStream(content: Readable): CountedStream {
  let bytes = 0;
  const body = content.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    }),
  );
  body.on("error", () => undefined);
  content.on("error", (error) => body.destroy(error));
  return {
    body,
    bytes: () => bytes,
    throwIfFailed: () => {
      if (body.errored) throw body.errored;
      if (body.destroyed) throw new Error("The upload stream ended before it was stored.");
    },
  };
}
