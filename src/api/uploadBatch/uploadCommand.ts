import { z } from "zod";
import type { OcrLevel } from "../../analyzers/llmExtraction/documentText.js";
import { ExtractionSchemaError, parseExtractionSchema, type ExtractionSchema } from "../../analyzers/llmExtraction/extractionSchema.js";

/** A DocuDevs request docbatch cannot serve as sent; becomes a 400 in their error format. */
export class UploadCommandError extends Error {
  override readonly name = "UploadCommandError";
}


export interface ProcessOptions {
  prompt?: string;
  schema?: ExtractionSchema;
  ocr: OcrLevel;
  llm: "DEFAULT" | "NANO" | "MINI" | "HIGH";
  /** Markdown text only, no LLM call: asked for, or no prompt and no schema. */
  textOnly: boolean;
  /** 1-based pages to read; all when absent. */
  pageRange?: number[];
  maxConcurrency?: number;
}

const uploadCommand = z.object({
  prompt: z.string().nullish(),
  schema: z.string().nullish(),
  mimeType: z.string().nullish(),
  ocr: z.enum(["DEFAULT", "PREMIUM", "EXCEL", "NONE", "AUTO", "LOW"]).nullish(),
  llm: z.enum(["DEFAULT", "NANO", "MINI", "HIGH"]).nullish(),
  extractionMode: z.enum(["SIMPLE", "STEPS", "OCR", "GENERATIVE"]).nullish(),
  pageRange: z.array(z.number().int().min(1)).nullish(),
  maxConcurrency: z.number().int().min(1).nullish(),
  orgId: z.unknown().optional(),
});

/** Options their Python client sends as `false` when unset; only a truthy value asks for them. */
const unsupportedOptions = ["barcodes", "describeFigures", "extractFigures", "mapReduce", "tools", "trace"] as const;

/** Reads a DocuDevs UploadCommand, refusing what docbatch cannot do rather than ignoring it. */
export function parseUploadCommand(body: unknown): ProcessOptions {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new UploadCommandError("the body must be a JSON object (UploadCommand)");
  const record = body as Record<string, unknown>;
  const asked = unsupportedOptions.filter((name) => isAsked(record[name]));
  if (asked.length > 0) throw new UploadCommandError(`unsupported options: ${asked.join(", ")}; remove them or set them to false`);
  const parsed = uploadCommand.safeParse(record);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
    throw new UploadCommandError(`invalid UploadCommand: ${problems.join("; ")}`);
  }
  const command = parsed.data;
  if (command.ocr === "EXCEL") throw new UploadCommandError("unsupported options: ocr EXCEL; use DEFAULT, LOW, PREMIUM or NONE");
  if (command.extractionMode === "STEPS") throw new UploadCommandError("unsupported options: extractionMode STEPS; use SIMPLE, OCR or GENERATIVE");
  let schema: ExtractionSchema | undefined;
  if (command.schema?.trim()) {
    try {
      schema = parseExtractionSchema(command.schema);
    } catch (error) {
      if (error instanceof ExtractionSchemaError) throw new UploadCommandError(error.message);
      throw error;
    }
  }
  const prompt = command.prompt?.trim() ? command.prompt : undefined;
  return {
    prompt,
    schema,
    ocr: command.ocr === "AUTO" || !command.ocr ? "DEFAULT" : command.ocr,
    llm: command.llm ?? "DEFAULT",
    textOnly: command.extractionMode === "OCR" || (!prompt && !schema),
    pageRange: command.pageRange?.length ? [...new Set(command.pageRange)].sort((a, b) => a - b) : undefined,
    maxConcurrency: command.maxConcurrency ?? undefined,
  };
}

function isAsked(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}
