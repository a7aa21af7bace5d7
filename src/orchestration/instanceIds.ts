/** Instance ids are derived from the batch id, so status, cancel and purge can find every instance of a batch. */
export function batchInstanceId(batchId: string): string {
  return batchId;
}

export function subOrchestrationInstanceId(batchId: string, index: number): string {
  return `${batchId}:part:${index}`;
}
