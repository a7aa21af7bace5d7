import os from "node:os";
import { z } from "zod";
import { isLoopbackHost } from "../shared/loopback.js";

/**
 * Every app setting docbatch reads, in one place: the README table, local.settings.json.example
 * and the Bicep are checked against this list by test/config/settingsConsistency.test.ts.
 * Settings read by the Functions host or the Azure SDKs themselves (AzureWebJobsStorage*,
 * AZURE_CLIENT_ID, ...) are listed too, flagged `readBy: "platform"`.
 */
export interface SettingDescription {
  name: string;
  description: string;
  default?: string;
  readBy?: "docbatch" | "platform";
}

export const settingCatalogue: readonly SettingDescription[] = [
  { name: "AzureWebJobsStorage", readBy: "platform", description: "Storage connection string (local development with Azurite). In Azure, identity-based settings below are used instead." },
  { name: "AzureWebJobsStorage__blobServiceUri", readBy: "platform", description: "Blob endpoint of the app's storage account when using its managed identity." },
  { name: "AzureWebJobsStorage__queueServiceUri", readBy: "platform", description: "Queue endpoint of the app's storage account when using its managed identity." },
  { name: "AzureWebJobsStorage__tableServiceUri", readBy: "platform", description: "Table endpoint of the app's storage account (status tables) when using its managed identity." },
  { name: "AzureWebJobsStorage__credential", readBy: "platform", description: "`managedidentity` in Azure." },
  { name: "AzureWebJobsStorage__clientId", readBy: "platform", description: "Client id of the user-assigned managed identity used for storage." },
  { name: "AZURE_CLIENT_ID", readBy: "platform", description: "Client id of the user-assigned managed identity for DefaultAzureCredential (source containers, Document Intelligence)." },
  { name: "DOCBATCH_API_KEYS", description: "Comma-separated API keys accepted in `Ocp-Apim-Subscription-Key` / `api-key` / `Authorization: Bearer`. Several at once allow rotation." },
  { name: "DOCBATCH_ENCRYPTION_KEY", description: "Base64 32-byte key that encrypts SAS-bearing URLs at rest in the status table." },
  { name: "DOCBATCH_ALLOWED_STORAGE_ACCOUNTS", description: "What docbatch may reach with its own identity (URLs without SAS): comma-separated `account` (all its containers) or `account/container` entries. Empty (default): every URL needs a SAS. The app's internal containers (`azure-webjobs-*`, `app-package*`, the task hub's) are refused whatever this says." },
  { name: "DOCBATCH_ALLOW_LOOPBACK_HTTP", default: "false", description: "Allow plain-http storage URLs on loopback (Azurite). Local development only." },
  { name: "DOCBATCH_MAX_DOCUMENTS_PER_BATCH", default: "10000", description: "Most documents one batch may hold." },
  { name: "DOCBATCH_MAX_DOCUMENT_BYTES", default: "524288000", description: "Largest document analyzed; larger ones fail with ContentTooLarge." },
  { name: "DOCBATCH_MAX_TEXT_CHARACTERS", default: "3000000", description: "Most characters of text one document may hold (a result costs about 100 bytes of memory per character); longer ones fail with ContentTooLarge." },
  { name: "DOCBATCH_DOCUMENTS_PER_SUBORCHESTRATION", default: "100", description: "Documents per leaf sub-orchestration (each activity of a leaf handles one item, or a group of a kind's small items: 10 documents for Document Intelligence batches of 100 or more); larger batches fan out through a tree of at most 100 children per orchestration." },
  { name: "DOCBATCH_RETENTION_HOURS", default: "24", description: "How long finished batches' status is kept." },
  { name: "DOCBATCH_PURGE_SCHEDULE", default: "0 */15 * * * *", description: "NCRONTAB schedule of the purge timer, which also restarts stranded batches." },
  { name: "DOCBATCH_STRANDED_AFTER_MINUTES", default: "15", description: "A started, unfinished batch whose row has not changed for this long and whose orchestration is missing or has ended is started again by the purge timer (failed if that happens twice)." },
  { name: "DOCBATCH_TABLE_PREFIX", default: "docbatch", description: "Prefix of the status tables' names." },
  { name: "DOCBATCH_TASK_HUB", readBy: "platform", default: "docbatch", description: "Durable Functions task hub (host.json `hubName`); with the Durable Task Scheduler, its task hub's name." },
  { name: "DOCBATCH_ANALYZE_TIMEOUT_SECONDS", default: "300", description: "Time limit for analyzing one document." },
  { name: "DOCBATCH_OCR_WORKERS", description: "OCR workers per instance. Defaults to the number of cores." },
  { name: "DOCUMENT_INTELLIGENCE_ENDPOINT", description: "Azure AI Document Intelligence endpoint for models docbatch does not run itself. Optional." },
  { name: "DOCUMENT_INTELLIGENCE_KEY", description: "Key for that endpoint. Unset: the managed identity is used." },
  { name: "DOCUMENT_INTELLIGENCE_REQUESTS_PER_SECOND", default: "15", description: "Request rate to Document Intelligence for the whole app." },
  { name: "DOCUMENT_INTELLIGENCE_PREFER_CLOUD_READ", default: "false", description: "Send prebuilt-read to Document Intelligence instead of the offline reader." },
  { name: "DOCBATCH_PUBLIC_URL", description: "Base URL callers reach the app at (e.g. `https://docbatch.example.com` behind a gateway or custom domain); `Operation-Location` and `nextLink` are built from it, never from the request's `Host` header. Defaults to `https://` + `WEBSITE_HOSTNAME`." },
  { name: "WEBSITE_HOSTNAME", readBy: "platform", description: "The app's default host name, set by Azure, Core Tools and `npm run local` (leave it empty in local.settings.json); the default of `DOCBATCH_PUBLIC_URL`. With neither set, links follow the request's host." },
  { name: "DOCBATCH_LLM_ENDPOINT", description: "Base URL of the OpenAI-compatible upstream that runs LLM requests, including `/v1` (e.g. `https://<resource>.openai.azure.com/openai/v1`, `http://127.0.0.1:11434/v1`). Unset: no LLM upstream." },
  { name: "DOCBATCH_LLM_API_KEY", description: "Key for that upstream (`api-key` header for Azure endpoints, `Authorization: Bearer` otherwise). Unset with an Azure endpoint: the managed identity's token." },
  { name: "DOCBATCH_LLM_MODELS", default: "*", description: "Comma-separated model (Azure: deployment) names the upstream serves; `*` for any." },
  { name: "DOCBATCH_LLM_REQUESTS_PER_MINUTE", default: "360", description: "Requests per minute the whole app sends to the upstream, spread evenly (Azure: the deployment's RPM)." },
  { name: "DOCBATCH_LLM_TOKENS_PER_MINUTE", default: "60000", description: "Tokens per minute the whole app sends to the upstream, estimated before sending (Azure: the deployment's TPM)." },
  { name: "DOCBATCH_EXTRACTION_MODEL", default: "gpt-4o-mini", description: "Model (Azure: deployment) the upload-batch API's LLM extraction uses for `llm: DEFAULT`, and for the other tiers unless DOCBATCH_EXTRACTION_TIER_MODELS names one." },
  { name: "DOCBATCH_EXTRACTION_TIER_MODELS", description: "Models for DocuDevs' other `llm` tiers, e.g. `NANO=gpt-4.1-nano,MINI=gpt-4o-mini,HIGH=gpt-4.1`. A tier not named uses DOCBATCH_EXTRACTION_MODEL." },
  { name: "DOCBATCH_EXTRACTION_CONTEXT_TOKENS", default: "100000", description: "Tokens of document text (about 4 characters each) one extraction call carries; a longer document is split by pages, extracted per chunk and merged (arrays concatenated, scalars from the first chunk that has them)." },
  { name: "DOCBATCH_EXTRACTION_MAX_OUTPUT_TOKENS", default: "1024", description: "Output limit of one extraction call (sent as `max_completion_tokens`); the TPM budget reserves it, as Azure OpenAI does, so a lower limit lets more documents run per minute. 1024 holds about a hundred short extracted values; raise it for schemas with long lists (a cut-off answer fails its document saying so)." },
  { name: "DOCBATCH_UPLOAD_MAX_DOCUMENTS", default: "10000", description: "Most documents one upload batch (DocuDevs API) may hold; the next upload gets 400." },
  { name: "DOCBATCH_UPLOAD_MAX_DOCUMENT_BYTES", default: "52428800", description: "Largest document one upload may carry (DocuDevs API); a larger one gets 413." },
  { name: "DOCBATCH_UPLOAD_MAX_CONCURRENCY", default: "20", description: "Cap on an upload batch's `maxConcurrency` (documents in flight at once); larger asks are lowered to it. The default ask is 3." },
  { name: "DOCBATCH_OPENAI_MAX_FILE_BYTES", default: "209715200", description: "Largest file the OpenAI Files API accepts (OpenAI's own limit is 200 MB); a larger upload gets 413." },
  { name: "DOCBATCH_OPENAI_MAX_LINES", default: "100000", description: "A cap on request lines per OpenAI batch input file, below the documented limits of each door (50,000 on `/v1`, OpenAI; 100,000 on `/openai`, Azure global batch); more fail validation with `too_many_tasks` before any line is recorded." },
  { name: "DOCBATCH_OPENAI_ON_EXPIRY", default: "continue", description: "What happens to an OpenAI batch still running 24 h after creation: `continue` (Azure's behaviour) or `expire` (OpenAI's: status `expired`, unfinished lines in the error file as `batch_expired`)." },
  { name: "DOCBATCH_WEBHOOK_URL", description: "Where batches' final-status events are POSTed (every door: OpenAI's `batch.completed|failed|cancelled|expired`, `documentintelligence.batch.*`, `docudevs.job.*`), signed the Standard Webhooks way. https only; a loopback URL only with DOCBATCH_ALLOW_LOOPBACK_HTTP (local runs). Unset: no events. Needs DOCBATCH_WEBHOOK_SECRET." },
  { name: "DOCBATCH_WEBHOOK_SECRET", description: "Signing secret of the webhook: `whsec_` + base64 of 24 to 64 random bytes (`echo whsec_$(openssl rand -base64 32)`), what the openai SDKs' `webhooks.unwrap` and Standard Webhooks libraries take. A secret: Key Vault in Azure, never logged." },
];

const csv = z
  .string()
  .optional()
  .transform((value) => (value ?? "").split(",").map((item) => item.trim()).filter(Boolean));
const bool = z
  .string()
  .optional()
  .transform((value) => /^(1|true|yes)$/i.test(value ?? ""));
const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().optional().transform((value) => value ?? fallback);

const settingsSchema = z.object({
  DOCBATCH_API_KEYS: csv,
  DOCBATCH_ENCRYPTION_KEY: z.string().optional(),
  DOCBATCH_ALLOWED_STORAGE_ACCOUNTS: csv,
  DOCBATCH_ALLOW_LOOPBACK_HTTP: bool,
  DOCBATCH_MAX_DOCUMENTS_PER_BATCH: positiveInt(10_000),
  DOCBATCH_MAX_DOCUMENT_BYTES: positiveInt(500 * 1024 * 1024),
  DOCBATCH_MAX_TEXT_CHARACTERS: positiveInt(3_000_000),
  DOCBATCH_DOCUMENTS_PER_SUBORCHESTRATION: positiveInt(100),
  DOCBATCH_RETENTION_HOURS: z.coerce.number().nonnegative().optional().transform((v) => v ?? 24),
  DOCBATCH_PURGE_SCHEDULE: z.string().optional().transform((v) => v ?? "0 */15 * * * *"),
  DOCBATCH_STRANDED_AFTER_MINUTES: z.coerce.number().nonnegative().optional().transform((v) => v ?? 15),
  DOCBATCH_TABLE_PREFIX: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,40}$/).optional().transform((v) => v ?? "docbatch"),
  DOCBATCH_TASK_HUB: z.string().optional().transform((v) => v ?? "docbatch"),
  DOCBATCH_ANALYZE_TIMEOUT_SECONDS: positiveInt(300),
  DOCBATCH_OCR_WORKERS: positiveInt(Math.max(1, os.availableParallelism())),
  DOCUMENT_INTELLIGENCE_ENDPOINT: z.string().url().optional(),
  DOCUMENT_INTELLIGENCE_KEY: z.string().optional(),
  DOCUMENT_INTELLIGENCE_REQUESTS_PER_SECOND: z.coerce.number().positive().optional().transform((v) => v ?? 15),
  DOCUMENT_INTELLIGENCE_PREFER_CLOUD_READ: bool,
  DOCBATCH_PUBLIC_URL: z.string().regex(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/, "an http(s) URL without query or fragment").optional(),
  WEBSITE_HOSTNAME: z.string().regex(/^[A-Za-z0-9.\-[\]:]+$/, "a host name, optionally with :port").optional(),
  DOCBATCH_LLM_ENDPOINT: z.string().url().optional(),
  DOCBATCH_LLM_API_KEY: z.string().optional(),
  DOCBATCH_LLM_MODELS: z.string().optional().transform((v) => (v ?? "*").split(",").map((m) => m.trim()).filter(Boolean)),
  DOCBATCH_LLM_REQUESTS_PER_MINUTE: z.coerce.number().positive().optional().transform((v) => v ?? 360),
  DOCBATCH_LLM_TOKENS_PER_MINUTE: z.coerce.number().positive().optional().transform((v) => v ?? 60_000),
  DOCBATCH_EXTRACTION_MODEL: z.string().optional().transform((v) => v ?? "gpt-4o-mini"),
  DOCBATCH_EXTRACTION_TIER_MODELS: z
    .string()
    .regex(/^\s*(NANO|MINI|HIGH|DEFAULT)\s*=\s*[^,=\s]+\s*(,\s*(NANO|MINI|HIGH|DEFAULT)\s*=\s*[^,=\s]+\s*)*$/, "TIER=model pairs separated by commas (tiers NANO, MINI, HIGH, DEFAULT)")
    .optional(),
  DOCBATCH_EXTRACTION_CONTEXT_TOKENS: positiveInt(100_000),
  DOCBATCH_EXTRACTION_MAX_OUTPUT_TOKENS: positiveInt(1024),
  DOCBATCH_UPLOAD_MAX_DOCUMENTS: positiveInt(10_000),
  DOCBATCH_UPLOAD_MAX_DOCUMENT_BYTES: positiveInt(50 * 1024 * 1024),
  DOCBATCH_UPLOAD_MAX_CONCURRENCY: positiveInt(20),
  DOCBATCH_OPENAI_MAX_FILE_BYTES: positiveInt(200 * 1024 * 1024),
  DOCBATCH_OPENAI_MAX_LINES: positiveInt(100_000),
  DOCBATCH_WEBHOOK_URL: z.string().url().optional(),
  DOCBATCH_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, "`whsec_` followed by base64")
    .refine((value) => {
      const bytes = Buffer.from(value.slice("whsec_".length), "base64").byteLength;
      return bytes >= 24 && bytes <= 64;
    }, "`whsec_` + base64 of 24 to 64 bytes")
    .optional(),
  DOCBATCH_OPENAI_ON_EXPIRY: z.enum(["continue", "expire"]).optional().transform((v) => v ?? "continue"),
});

export type DocbatchSettings = ReturnType<typeof readSettings>;

/** Reads the settings from the environment (app settings). Empty strings count as unset. */
export function readSettings(env: NodeJS.ProcessEnv = process.env) {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = settingsSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`Invalid docbatch settings: ${problems}`);
  }
  const s = parsed.data;
  const webhook = webhookOf(s.DOCBATCH_WEBHOOK_URL, s.DOCBATCH_WEBHOOK_SECRET, s.DOCBATCH_ALLOW_LOOPBACK_HTTP);
  return {
    webhook,
    apiKeys: s.DOCBATCH_API_KEYS,
    encryptionKey: s.DOCBATCH_ENCRYPTION_KEY,
    allowedStorageAccounts: s.DOCBATCH_ALLOWED_STORAGE_ACCOUNTS,
    allowLoopbackHttp: s.DOCBATCH_ALLOW_LOOPBACK_HTTP,
    maxDocumentsPerBatch: s.DOCBATCH_MAX_DOCUMENTS_PER_BATCH,
    maxDocumentBytes: s.DOCBATCH_MAX_DOCUMENT_BYTES,
    maxTextCharacters: s.DOCBATCH_MAX_TEXT_CHARACTERS,
    documentsPerSubOrchestration: s.DOCBATCH_DOCUMENTS_PER_SUBORCHESTRATION,
    retentionHours: s.DOCBATCH_RETENTION_HOURS,
    purgeSchedule: s.DOCBATCH_PURGE_SCHEDULE,
    strandedAfterMinutes: s.DOCBATCH_STRANDED_AFTER_MINUTES,
    tablePrefix: s.DOCBATCH_TABLE_PREFIX,
    taskHub: s.DOCBATCH_TASK_HUB,
    analyzeTimeoutMs: s.DOCBATCH_ANALYZE_TIMEOUT_SECONDS * 1000,
    ocrWorkers: s.DOCBATCH_OCR_WORKERS,
    publicUrl: publicUrlOf(s.DOCBATCH_PUBLIC_URL, s.WEBSITE_HOSTNAME),
    documentIntelligence: s.DOCUMENT_INTELLIGENCE_ENDPOINT
      ? {
          endpoint: s.DOCUMENT_INTELLIGENCE_ENDPOINT,
          key: s.DOCUMENT_INTELLIGENCE_KEY,
          requestsPerSecond: s.DOCUMENT_INTELLIGENCE_REQUESTS_PER_SECOND,
          preferCloudRead: s.DOCUMENT_INTELLIGENCE_PREFER_CLOUD_READ,
        }
      : undefined,
    extraction: {
      model: s.DOCBATCH_EXTRACTION_MODEL,
      tierModels: tierModelsOf(s.DOCBATCH_EXTRACTION_TIER_MODELS),
      contextTokens: s.DOCBATCH_EXTRACTION_CONTEXT_TOKENS,
      maxOutputTokens: s.DOCBATCH_EXTRACTION_MAX_OUTPUT_TOKENS,
    },
    uploadBatches: {
      maxDocuments: s.DOCBATCH_UPLOAD_MAX_DOCUMENTS,
      maxDocumentBytes: s.DOCBATCH_UPLOAD_MAX_DOCUMENT_BYTES,
      maxConcurrency: s.DOCBATCH_UPLOAD_MAX_CONCURRENCY,
    },
    openAiBatches: {
      maxFileBytes: s.DOCBATCH_OPENAI_MAX_FILE_BYTES,
      maxLines: s.DOCBATCH_OPENAI_MAX_LINES,
      onExpiry: s.DOCBATCH_OPENAI_ON_EXPIRY,
    },
    llmUpstreams: s.DOCBATCH_LLM_ENDPOINT
      ? [
          {
            endpoint: s.DOCBATCH_LLM_ENDPOINT,
            apiKey: s.DOCBATCH_LLM_API_KEY,
            models: s.DOCBATCH_LLM_MODELS,
            requestsPerMinute: s.DOCBATCH_LLM_REQUESTS_PER_MINUTE,
            tokensPerMinute: s.DOCBATCH_LLM_TOKENS_PER_MINUTE,
          },
        ]
      : [],
  };
}

/**
 * The operator's webhook, both settings or neither. https only; loopback only where plain http on
 * loopback is allowed (local runs): in Azure a loopback URL would reach the app's own host.
 */
function webhookOf(url: string | undefined, secret: string | undefined, allowLoopback: boolean): { url: string; secret: string } | undefined {
  if (!url && !secret) return undefined;
  if (!url || !secret) throw new Error("Invalid docbatch settings: set DOCBATCH_WEBHOOK_URL and DOCBATCH_WEBHOOK_SECRET together.");
  const parsed = new URL(url);
  const loopback = isLoopbackHost(parsed.hostname);
  if (parsed.username || parsed.password || parsed.hash) throw new Error("Invalid docbatch settings: DOCBATCH_WEBHOOK_URL must not carry credentials or a fragment.");
  if (loopback && !allowLoopback) throw new Error("Invalid docbatch settings: DOCBATCH_WEBHOOK_URL is a loopback address, allowed only with DOCBATCH_ALLOW_LOOPBACK_HTTP=true (local runs).");
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && loopback)) throw new Error("Invalid docbatch settings: DOCBATCH_WEBHOOK_URL must use https.");
  return { url: parsed.href, secret };
}

function tierModelsOf(value: string | undefined): Record<string, string> {
  const pairs = (value ?? "").split(",").map((pair) => pair.split("=").map((part) => part.trim()));
  return Object.fromEntries(pairs.filter((pair) => pair.length === 2 && pair[0] && pair[1]));
}

/**
 * Where callers reach the app, without a trailing slash: the links the app hands out are built
 * from it, so a forged `Host` header cannot point them elsewhere. A loopback host name (the
 * local host, Core Tools) is plain http; Azure's default host names are https.
 */
function publicUrlOf(configured: string | undefined, hostName: string | undefined): string | undefined {
  if (configured) return configured.replace(/\/+$/, "");
  if (!hostName) return undefined;
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i.test(hostName);
  return `${loopback ? "http" : "https"}://${hostName}`;
}

/** One OpenAI-compatible upstream as configured (see src/llm/upstream.ts). */
export type LlmUpstreamSettings = DocbatchSettings["llmUpstreams"][number];
