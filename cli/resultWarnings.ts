// Which analyzed documents came back with Document Intelligence `warnings` (e.g. a page the
// offline reader could not read): the batch succeeded, but these results deserve a look.
import type { ContainerClient } from "@azure/storage-blob";
import pLimit from "p-limit";

export interface WarnedItem {
  /** The document's name. */
  name: string;
  /** "code: message" of each warning. */
  warnings: string[];
}

const READ_CONCURRENCY = 8;

/** The warnings of one batch result file (`{ status, analyzeResult: { warnings } }`); none when it cannot be read. */
export function warningsOfResult(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const warnings = (parsed as { analyzeResult?: { warnings?: unknown } })?.analyzeResult?.warnings;
  if (!Array.isArray(warnings)) return [];
  return warnings
    .filter((warning): warning is { code?: unknown; message?: unknown } => typeof warning === "object" && warning !== null)
    .map((warning) => `${String(warning.code ?? "Warning")}: ${String(warning.message ?? "")}`);
}

/** Reads the result blobs of succeeded documents and keeps those with warnings, in name order. */
export async function warnedDocuments(container: ContainerClient, results: readonly { blobName: string; name: string }[]): Promise<WarnedItem[]> {
  const limit = pLimit(READ_CONCURRENCY);
  const found = await Promise.all(
    results.map(({ blobName, name }) =>
      limit(async (): Promise<WarnedItem | undefined> => {
        const text = (await container.getBlobClient(blobName).downloadToBuffer().catch(() => undefined))?.toString("utf8");
        const warnings = text === undefined ? [] : warningsOfResult(text);
        return warnings.length ? { name, warnings } : undefined;
      }),
    ),
  );
  return found.filter((item): item is WarnedItem => item !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}
