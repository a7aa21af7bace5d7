/** How orchestrations address a batch and a run of its documents: ids and indexes, never document lists. */
export interface BatchRef {
  batchId: string;
  modelId: string;
}

export interface DocumentRange extends BatchRef {
  first: number;
  count: number;
}
