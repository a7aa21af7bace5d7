export interface BatchPart {
  first: number;
  count: number;
}

/**
 * Splits a batch into sub-orchestrations of at most `perPart` documents, so no single
 * orchestration carries a large history or nears Durable's limit on actions.
 */
export function planBatchParts(documentCount: number, perPart: number): BatchPart[] {
  const parts: BatchPart[] = [];
  for (let first = 0; first < documentCount; first += perPart) {
    parts.push({ first, count: Math.min(perPart, documentCount - first) });
  }
  return parts;
}
