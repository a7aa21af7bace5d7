export interface BatchPart {
  first: number;
  count: number;
}

/**
 * Most sub-orchestrations one batch fans out to. Small parts keep each part's history short
 * (every completion replays it); the cap keeps the parent's history short for huge batches.
 */
export const MAX_PARTS = 400;

/** Documents per part: the configured size, raised so a batch has at most MAX_PARTS parts. */
export function partSize(documentCount: number, configuredPerPart: number): number {
  return Math.max(configuredPerPart, Math.ceil(documentCount / MAX_PARTS));
}

/** Splits a batch into sub-orchestrations of at most `perPart` documents. */
export function planBatchParts(documentCount: number, perPart: number): BatchPart[] {
  const parts: BatchPart[] = [];
  for (let first = 0; first < documentCount; first += perPart) {
    parts.push({ first, count: Math.min(perPart, documentCount - first) });
  }
  return parts;
}
