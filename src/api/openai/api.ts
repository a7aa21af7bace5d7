import type { AppServices } from "../../services/appServices.js";
import { OpenAiFileStore } from "../../storage/openAiFileStore.js";
import { requireApiKey } from "../http/apiKeyCheck.js";
import { serve } from "../http/serve.js";
import type { ApiRequest, ApiResponse } from "../http/types.js";
import { OpenAiError, openAiErrors } from "./errors.js";
import { deleteFile, fileContent, listFiles, retrieveFile, uploadFile, type FilesDeps } from "./files.js";

export interface OpenAiApiDeps {
  services: () => AppServices;
  logError?: (message: string, error: unknown) => void;
}

/** OpenAI's own limit for a batch input file. */
export const FILE_UPLOAD_LIMIT_BYTES = 200 * 1024 * 1024;

const fileStores = new WeakMap<AppServices, OpenAiFileStore>();

function filesDeps(services: AppServices): FilesDeps {
  let files = fileStores.get(services);
  if (!files) fileStores.set(services, (files = new OpenAiFileStore(services.storage, { prefix: services.settings.tablePrefix })));
  return { files, uploadLimitBytes: services.settings.openAiBatches.maxFileBytes, nowMs: () => services.now().getTime() };
}

/**
 * Serves the OpenAI front door. `path` is what follows `/v1/` or `/openai/` (Azure's
 * `/openai/v1/...` arrives as `v1/...`); `?api-version=` is accepted and not needed.
 */
export function handleOpenAi(request: ApiRequest, path: string, deps: OpenAiApiDeps): Promise<ApiResponse> {
  return serve(request, { errors: openAiErrors, logError: deps.logError }, async () => {
    const services = deps.services();
    requireApiKey(request.headers, services.settings.apiKeys);
    const segments = path.replace(/^v1\//, "").split("/").filter(Boolean).map(decodeURIComponent);
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
    throw new OpenAiError(404, `Invalid URL (${method} /${path}).`, { code: "not_found" });
  });
}

function methodNotAllowed(method: string, allowed: string): OpenAiError {
  return new OpenAiError(405, `${method} is not supported here. Use ${allowed}.`, { code: "method_not_allowed" }, { allow: allowed });
}
