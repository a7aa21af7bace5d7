import type { AppServices } from "../../services/appServices.js";
import { requireApiKey } from "../http/apiKeyCheck.js";
import { serve } from "../http/serve.js";
import type { ApiRequest, ApiResponse } from "../http/types.js";
import type { BatchRunner } from "../../engine/batches.js";
import { cancelBatch, createBatch, listBatches, retrieveBatch, type BatchesDeps } from "./batches.js";
import { OpenAiError, openAiErrors } from "./errors.js";
import { addUploadPart, cancelUpload, completeUpload, createUpload, type UploadsDeps } from "./uploads.js";
import { deleteFile, fileContent, listFiles, retrieveFile, uploadFile, type FilesDeps } from "./files.js";

export interface OpenAiApiDeps {
  services: () => AppServices;
  /** Starts batches' orchestrations (the durable client). */
  runner: BatchRunner;
  logError?: (message: string, error: unknown) => void;
}

function filesDeps(services: AppServices): FilesDeps {
  return { files: services.openAiFiles, uploadLimitBytes: services.settings.openAiBatches.maxFileBytes, nowMs: () => services.now().getTime() };
}

/**
 * Serves the OpenAI front door. `path` is what follows `/v1/` or `/openai/` (Azure's
 * `/openai/v1/...` arrives as `v1/...`); `?api-version=` is accepted and not needed.
 */
export function handleOpenAi(request: ApiRequest, path: string, deps: OpenAiApiDeps): Promise<ApiResponse> {
  return serve(request, { errors: openAiErrors, logError: deps.logError }, async () => {
    const services = deps.services();
    requireApiKey(request.headers, services.settings.apiKeys);
    const segments = path.replace(/^v1\//, "").split("/").filter(Boolean).map(decodedSegment);
    const query = new URL(request.url).searchParams;
    const method = request.method.toUpperCase();
    if (segments[0] === "files") {
      const files = filesDeps(services);
      const [, id, sub] = segments;
      if (segments.length === 1) {
        if (method === "POST") return uploadFile(request, files);
        if (method === "GET") return listFiles(query, files);
        throw methodNotAllowed(method, "GET, POST");
      }
      if (segments.length === 2) {
        if (method === "GET") return retrieveFile(id, files);
        if (method === "DELETE") return deleteFile(id, files);
        throw methodNotAllowed(method, "GET, DELETE");
      }
      if (segments.length === 3 && sub === "content") {
        if (method === "GET") return fileContent(id, files);
        throw methodNotAllowed(method, "GET");
      }
    }
    if (segments[0] === "uploads") {
      const uploads: UploadsDeps = { uploads: services.openAiUploads, maxFileBytes: services.settings.openAiBatches.maxFileBytes, nowMs: () => services.now().getTime() };
      const [, id, sub] = segments;
      if (segments.length === 1) {
        if (method === "POST") return createUpload(request, uploads);
        throw methodNotAllowed(method, "POST");
      }
      if (segments.length === 3 && (sub === "parts" || sub === "complete" || sub === "cancel")) {
        if (method !== "POST") throw methodNotAllowed(method, "POST");
        if (sub === "parts") return addUploadPart(request, id, uploads);
        if (sub === "complete") return completeUpload(request, id, uploads);
        return cancelUpload(id, uploads);
      }
    }
    // Azure's deployment form moves only batch creation under the deployment.
    const batchSegments = segments[0] === "deployments" && segments[2] === "batches" && segments.length === 3 ? ["batches"] : segments;
    if (batchSegments[0] === "batches") {
      const batches: BatchesDeps = { services, runner: deps.runner, files: filesDeps(services) };
      const [, id, sub] = batchSegments;
      if (batchSegments.length === 1) {
        if (method === "POST") return createBatch(request, batches);
        if (method === "GET" && segments[0] === "batches") return listBatches(query, batches);
        throw methodNotAllowed(method, segments[0] === "batches" ? "GET, POST" : "POST");
      }
      if (batchSegments.length === 2) {
        if (method === "GET") return retrieveBatch(id, batches);
        throw methodNotAllowed(method, "GET");
      }
      if (batchSegments.length === 3 && sub === "cancel") {
        if (method === "POST") return cancelBatch(id, batches);
        throw methodNotAllowed(method, "POST");
      }
    }
    throw new OpenAiError(404, `Invalid URL (${method} /${path}).`, { code: "not_found" });
  });
}

function methodNotAllowed(method: string, allowed: string): OpenAiError {
  return new OpenAiError(405, `${method} is not supported here. Use ${allowed}.`, { code: "method_not_allowed" }, { allow: allowed });
}

/** A path segment decoded; broken percent-encoding is the caller's mistake (400), not a 500. */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new OpenAiError(400, `The request path has malformed percent-encoding ('${segment.slice(0, 80)}'); encode it with encodeURIComponent.`, { code: "invalid_path" });
  }
}
