import type { AnalyzeOptions } from "../../analyzers/analyzer.js";
import type { BatchRecord } from "../../engine/model.js";

/** BatchRecord.kind of Document Intelligence analyzeBatch batches. */
export const DOCUMENT_INTELLIGENCE_KIND = "documentIntelligence";

/** What an analyzeBatch batch keeps (BatchRecord.spec as JSON). URLs are SAS-free; SAS-bearing ones are sealed. */
export interface DocumentIntelligenceSpec {
  modelId: string;
  apiVersion: string;
  source: { kind: "container"; url: string; prefix: string } | { kind: "fileList"; url: string; fileList: string };
  /** The source container URL with its SAS, sealed; absent when the app's identity is used. */
  sealedSourceUrl?: string;
  resultUrl: string;
  sealedResultUrl?: string;
  resultPrefix: string;
  overwriteExisting: boolean;
  options: AnalyzeOptions;
}

/** Parsed specs by batch id and spec text: every document of a batch reads the same one. */
const parsed = new Map<string, { text: string; spec: DocumentIntelligenceSpec }>();

export function specOf(batch: Pick<BatchRecord, "batchId" | "spec">): DocumentIntelligenceSpec {
  const cached = parsed.get(batch.batchId);
  if (cached?.text === batch.spec) return cached.spec;
  const spec = JSON.parse(batch.spec) as DocumentIntelligenceSpec;
  parsed.set(batch.batchId, { text: batch.spec, spec });
  if (parsed.size > 256) parsed.delete(parsed.keys().next().value!);
  return spec;
}

/** The document's path relative to the source prefix, which names its result. */
export function relativeSourcePath(spec: DocumentIntelligenceSpec, name: string): string {
  if (spec.source.kind === "container" && spec.source.prefix && name.startsWith(spec.source.prefix)) {
    return name.slice(spec.source.prefix.length);
  }
  return name;
}
