import { Transform, type Readable } from "node:stream";

/**
 * `content` piped through a byte counter, for streaming into a blob. Call it before the first
 * await: an upload part may already be flowing, and bytes emitted before anything listens
 * would be lost. An error of `content` ends the counted stream with it.
 */
export function countedStream(content: Readable): { body: Readable; bytes(): number } {
  let bytes = 0;
  const body = content.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    }),
  );
  content.on("error", (error) => body.destroy(error));
  return { body, bytes: () => bytes };
}
