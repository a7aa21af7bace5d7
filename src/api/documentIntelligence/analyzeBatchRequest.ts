import { z } from "zod";
import type { AnalyzeOptions } from "../../analyzers/analyzer.js";
import { blobPathProblem } from "../../storage/blobPath.js";
import { DiError } from "./errors.js";

export const SUPPORTED_API_VERSIONS = ["2024-11-30"] as const;

const KNOWN_FEATURES = [
  "ocrHighResolution",
  "languages",
  "barcodes",
  "formulas",
  "keyValuePairs",
  "styleFont",
  "queryFields",
] as const;

const containerUrl = z.string({ error: "must be a string holding a container URL" }).min(1, "must not be empty");

const requestBodySchema = z
  .object({
    azureBlobSource: z
      .object({
        containerUrl,
        prefix: z.string().max(1024, "must be at most 1024 characters").optional(),
      })
      .strict()
      .optional(),
    azureBlobFileListSource: z
      .object({
        containerUrl,
        fileList: z.string({ error: "is required: the path of a JSONL blob in that container" }).min(1, "must not be empty"),
      })
      .strict()
      .optional(),
    resultContainerUrl: z.string({ error: "is required: the URL of the container that receives the results" }).min(1, "must not be empty"),
    resultPrefix: z.string().max(1024, "must be at most 1024 characters").optional(),
    overwriteExisting: z.boolean({ error: "must be true or false" }).optional(),
  })
  .strict();

export type AnalyzeBatchBody = z.infer<typeof requestBodySchema>;

export type BatchSource =
  | { kind: "container"; containerUrl: string; prefix: string }
  | { kind: "fileList"; containerUrl: string; fileList: string };

export interface AnalyzeBatchRequest {
  source: BatchSource;
  resultContainerUrl: string;
  resultPrefix: string;
  overwriteExisting: boolean;
  options: AnalyzeOptions;
}

export function requireApiVersion(query: URLSearchParams): string {
  const apiVersion = query.get("api-version");
  if (!apiVersion) {
    throw new DiError(400, {
      code: "MissingApiVersionParameter",
      message: `The api-version query parameter (?api-version=) is required for all requests. Supported: ${SUPPORTED_API_VERSIONS.join(", ")}.`,
    });
  }
  if (!(SUPPORTED_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw new DiError(400, {
      code: "UnsupportedApiVersion",
      message: `The requested api-version '${apiVersion}' is not supported. Supported: ${SUPPORTED_API_VERSIONS.join(", ")}.`,
    });
  }
  return apiVersion;
}

/** Validates `analyzeBatch`'s query and body; throws DiError naming the field and the rule. */
export function parseAnalyzeBatchRequest(query: URLSearchParams, rawBody: string): AnalyzeBatchRequest {
  const options = parseAnalyzeOptions(query);

  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw DiError.invalidRequest("InvalidContent", "The request body must be a JSON AnalyzeBatchDocumentsRequest object.");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw DiError.invalidRequest("InvalidContent", "The request body must be a JSON object.");
  }
  const parsed = requestBodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const target = issue.path.join(".") || describeUnknownKeys(issue);
    const rule = issue.code === "unrecognized_keys" ? `is not a field of AnalyzeBatchDocumentsRequest` : issue.message;
    throw DiError.invalidArgument("InvalidParameter", `${target} ${rule}.`, target);
  }
  const body = parsed.data;
  if (!!body.azureBlobSource === !!body.azureBlobFileListSource) {
    throw DiError.invalidRequest(
      "InvalidParameter",
      "Specify exactly one of azureBlobSource or azureBlobFileListSource.",
      body.azureBlobSource ? "azureBlobFileListSource" : "azureBlobSource",
    );
  }
  refuseUnsafePath(body.azureBlobSource?.prefix, "azureBlobSource.prefix");
  refuseUnsafePath(body.azureBlobFileListSource?.fileList, "azureBlobFileListSource.fileList");
  refuseUnsafePath(body.resultPrefix, "resultPrefix");
  const source: BatchSource = body.azureBlobSource
    ? { kind: "container", containerUrl: body.azureBlobSource.containerUrl, prefix: body.azureBlobSource.prefix ?? "" }
    : { kind: "fileList", containerUrl: body.azureBlobFileListSource!.containerUrl, fileList: body.azureBlobFileListSource!.fileList };
  return {
    source,
    resultContainerUrl: body.resultContainerUrl,
    resultPrefix: body.resultPrefix ?? "",
    overwriteExisting: body.overwriteExisting ?? false,
    options,
  };
}

/** Paths are checked before any storage request is built from them (see blobPath.ts). */
function refuseUnsafePath(path: string | undefined, target: string): void {
  const problem = path === undefined ? undefined : blobPathProblem(path);
  if (problem) throw DiError.invalidArgument("InvalidParameter", `${target} ${JSON.stringify(path!.slice(0, 200))} ${problem}.`, target);
}

function describeUnknownKeys(issue: { code: string; keys?: string[] }): string {
  return issue.code === "unrecognized_keys" && issue.keys?.length ? issue.keys.join(", ") : "body";
}

const PAGES_PATTERN = /^\s*\d+\s*(-\s*\d+\s*)?(,\s*\d+\s*(-\s*\d+\s*)?)*$/;
const LOCALE_PATTERN = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export function parseAnalyzeOptions(query: URLSearchParams): AnalyzeOptions {
  const pages = query.get("pages") ?? undefined;
  if (pages !== undefined) {
    const valid =
      PAGES_PATTERN.test(pages) &&
      pages.split(",").every((range) => {
        const [first, last = first] = range.split("-").map((n) => Number(n.trim()));
        return first >= 1 && last >= first;
      });
    if (!valid) {
      throw DiError.invalidArgument("InvalidParameter", `pages '${pages}' must list 1-based pages or ascending ranges, e.g. 1-3,5.`, "pages");
    }
  }
  const locale = query.get("locale") ?? undefined;
  if (locale !== undefined && !LOCALE_PATTERN.test(locale)) {
    throw DiError.invalidArgument("InvalidParameter", `locale '${locale}' must be a BCP 47 language tag such as en-US.`, "locale");
  }
  const stringIndexType = oneOf(query, "stringIndexType", ["textElements", "unicodeCodePoint", "utf16CodeUnit"], "textElements");
  const outputContentFormat = oneOf(query, "outputContentFormat", ["text", "markdown"], "text");
  const features = csvOf(query, "features");
  for (const feature of features) {
    if (!(KNOWN_FEATURES as readonly string[]).includes(feature)) {
      throw DiError.invalidArgument("InvalidParameter", `features '${feature}' is not one of ${KNOWN_FEATURES.join(", ")}.`, "features");
    }
  }
  const queryFields = csvOf(query, "queryFields");
  if (queryFields.length > 0 && !features.includes("queryFields")) {
    throw DiError.invalidArgument("InvalidParameter", "queryFields requires features=queryFields.", "queryFields");
  }
  const output = csvOf(query, "output");
  if (output.length > 0) {
    throw DiError.invalidArgument(
      "InvalidParameter",
      `output '${output.join(",")}' (searchable PDF, figure images) is not produced by batch analysis in docbatch; omit the output parameter.`,
      "output",
    );
  }
  return { pages, locale, stringIndexType, outputContentFormat, features, queryFields };
}

function oneOf<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[], fallback: T): T {
  const value = query.get(name);
  if (value === null) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw DiError.invalidArgument("InvalidParameter", `${name} '${value}' must be one of ${allowed.join(", ")}.`, name);
  }
  return value as T;
}

function csvOf(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter(Boolean);
}
