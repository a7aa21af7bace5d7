// The CLI's one picture of a batch, whichever front door runs it, so that progress, summaries,
// `list` and `status` render all three the same way.

export type FrontDoorName = "documentIntelligence" | "uploadBatch" | "openai";

export interface ItemCounts {
  /** Items in the batch, when the front door says (or the CLI knows: it uploaded them). */
  total?: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Items a cancel kept from running: never counted as failed (docbatch's own view says how many). */
  canceled?: number;
}

export interface BatchView {
  id: string;
  frontDoor: FrontDoorName;
  /** Model, endpoint or prompt label: what the batch runs. */
  label: string;
  /** The front door's own status word (DI `running`, OpenAI `in_progress`, DocuDevs `PROCESSING`). */
  status: string;
  /** running while not final; otherwise how it ended. */
  outcome: "running" | "succeeded" | "failed" | "canceled";
  counts: ItemCounts;
  percentCompleted?: number;
  createdAt?: string;
  updatedAt?: string;
  /** The batch-wide error of a failed batch. */
  error?: string;
  /** A refused input's problems, one per line (the first ones), and how many there were. */
  problems?: string[];
  problemCount?: number;
}

/** One failed item, in the same shape for every command and front door. */
export interface FailedItem {
  /** The document's path, or the line's custom_id. */
  name: string;
  /** The most specific code the front door gives (DI: the innererror's). */
  code: string;
  message: string;
  /** The input line (OpenAI), when known. */
  line?: number;
}

export function settledCount(counts: ItemCounts): number {
  return counts.succeeded + counts.failed + counts.skipped + (counts.canceled ?? 0);
}

/** By input line when every item has one, else by path: a list a person can find a name in. */
export function sortFailures(items: readonly FailedItem[]): FailedItem[] {
  const byLine = items.length > 0 && items.every((item) => item.line !== undefined);
  return [...items].sort((a, b) => (byLine ? a.line! - b.line! : 0) || a.name.localeCompare(b.name, "en", { numeric: true }));
}

/** The status word as the front door says it, with how it ended where that word does not say (DocuDevs' ERROR). */
export function statusText(view: Pick<BatchView, "status" | "outcome">): string {
  if (view.outcome === "canceled" && !/cancel/i.test(view.status)) return `${view.status} (canceled)`;
  return view.status;
}
