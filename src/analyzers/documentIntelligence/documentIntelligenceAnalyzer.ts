/**
 * Hands documents to a real Azure AI Document Intelligence resource, for models docbatch does
 * not run itself (prebuilt-invoice, custom models, ...), and for prebuilt-read/layout when the
 * app prefers the cloud reader. Whether a model exists is asked once and remembered.
 */
import { AnalyzerError, type AnalyzeInput, type Analyzer } from "../analyzer.js";
import type { AnalyzeResult } from "../analyzeResult.js";
import { DocumentIntelligenceClient, type DocumentIntelligenceClientOptions } from "./documentIntelligenceClient.js";

/** Prebuilt models of api-version 2024-11-30, listed for GET documentModels. */
export const PREBUILT_CLOUD_MODELS: readonly string[] = [
  "prebuilt-read",
  "prebuilt-layout",
  "prebuilt-invoice",
  "prebuilt-receipt",
  "prebuilt-idDocument",
  "prebuilt-businessCard",
  "prebuilt-contract",
  "prebuilt-healthInsuranceCard.us",
  "prebuilt-tax.us",
  "prebuilt-tax.us.w2",
  "prebuilt-tax.us.1098",
  "prebuilt-tax.us.1099Combo",
  "prebuilt-bankStatement.us",
  "prebuilt-check.us",
  "prebuilt-payStub.us",
  "prebuilt-mortgage.us.1003",
  "prebuilt-marriageCertificate.us",
  "prebuilt-creditCard",
];

export interface DocumentIntelligenceAnalyzer extends Analyzer {
  readonly client: DocumentIntelligenceClient;
  /** Whether the service has this model (cached; unknown answers are asked again after a while). */
  hasModel(modelId: string, signal?: AbortSignal): Promise<boolean>;
}

export function createDocumentIntelligenceAnalyzer(
  options: DocumentIntelligenceClientOptions & { /** How long "model not found" is remembered (default 5 min). */ missingModelTtlMs?: number },
): DocumentIntelligenceAnalyzer {
  const client = new DocumentIntelligenceClient(options);
  const known = new Map<string, { exists: boolean; checkedAt: number }>();
  const pending = new Map<string, Promise<boolean>>();
  const ttl = options.missingModelTtlMs ?? 5 * 60_000;
  return {
    client,
    models: PREBUILT_CLOUD_MODELS.map((modelId) => ({ modelId, description: `Azure AI Document Intelligence model ${modelId}.`, runsOn: "documentIntelligence" })),
    async hasModel(modelId, signal) {
      const cached = known.get(modelId);
      if (cached && (cached.exists || Date.now() - cached.checkedAt < ttl)) return cached.exists;
      let check = pending.get(modelId);
      if (!check) {
        check = client.modelExists(modelId, signal).then(
          (exists) => {
            known.set(modelId, { exists, checkedAt: Date.now() });
            pending.delete(modelId);
            return exists;
          },
          (error: unknown) => {
            pending.delete(modelId);
            throw error;
          },
        );
        pending.set(modelId, check);
      }
      return check;
    },
    async analyze(input: AnalyzeInput): Promise<AnalyzeResult> {
      try {
        return await client.analyze(input.modelId, input.bytes, input.options, input.signal);
      } catch (error) {
        if (error instanceof AnalyzerError && error.code === "ModelNotFound") known.set(input.modelId, { exists: false, checkedAt: Date.now() });
        throw error;
      }
    },
  };
}

