import { randomBytes } from "node:crypto";

/** 2^48 - 1: the largest millisecond timestamp 12 hex digits hold (year 10889). */
const MAX_TIMESTAMP_MS = 0xffff_ffff_ffff;

/**
 * A new batch id: a UUID (version 8, RFC 9562) whose first 48 bits are the creation time in
 * milliseconds, inverted, so ids sort newest first as strings. The status store keys batch rows
 * by id, so one range read of a kind's partition lists its batches newest first with no index.
 * The other 74 bits are random: ids created in the same millisecond stay unique.
 *
 * Every front door takes its batch ids from here (DI `resultId` is this UUID; OpenAI's
 * `batch_…` is `compactBatchId("batch_")`).
 */
export function newBatchId(now: Date = new Date()): string {
  const inverted = MAX_TIMESTAMP_MS - Math.max(0, Math.min(MAX_TIMESTAMP_MS, now.getTime()));
  const time = inverted.toString(16).padStart(12, "0");
  const random = randomBytes(10).toString("hex");
  const variant = ((parseInt(random[3], 16) & 0x3) | 0x8).toString(16);
  const hex = `${time}8${random.slice(0, 3)}${variant}${random.slice(4, 19)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The same id without dashes behind a prefix (`batch_0000…`): still sorts newest first within the prefix. */
export function compactBatchId(prefix: string, now: Date = new Date()): string {
  return `${prefix}${newBatchId(now).replaceAll("-", "")}`;
}
