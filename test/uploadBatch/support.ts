import { setTimeout as sleep } from "node:timers/promises";
import type { Docbatch } from "../support/docbatchHost.js";
import type { FakeRequest } from "../support/fakeOpenAiUpstream.js";

export const EXTRACTION_MODEL = "extract-test";

/** App settings that point docbatch's extraction at a fake upstream serving EXTRACTION_MODEL. */
export function extractionEnv(fake: { baseUrl: string }): Record<string, string> {
  return {
    DOCBATCH_LLM_ENDPOINT: fake.baseUrl,
    DOCBATCH_LLM_API_KEY: "upstream-key",
    DOCBATCH_LLM_MODELS: EXTRACTION_MODEL,
    DOCBATCH_EXTRACTION_MODEL: EXTRACTION_MODEL,
    // Calls reserve DOCBATCH_EXTRACTION_MAX_OUTPUT_TOKENS each; these tests are not about the rate budget.
    DOCBATCH_LLM_TOKENS_PER_MINUTE: "10000000",
  };
}

/** Raw HTTP against docbatch's upload-batch API, as DocuDevs' docs show it (Bearer key). */
export function uploadBatchHttp(docbatch: Docbatch, authorization = `Bearer ${docbatch.apiKey}`) {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string; headers: Headers }> => {
    const init: RequestInit = { method, headers: { authorization } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    const response = await fetch(`${docbatch.host.url}${path}`, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // CSV and other text answers stay text.
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  };
  return {
    call,
    async create(body: Record<string, unknown> = {}) {
      const created = await call("POST", "/document/batch", body);
      if (created.status !== 200) throw new Error(`create answered ${created.status}: ${created.text}`);
      return created.body as { jobGuid: string; maxConcurrency: number };
    },
    upload(guid: string, document: { bytes: Uint8Array; name: string; type: string }) {
      const form = new FormData();
      form.append("document", new Blob([Buffer.from(document.bytes)], { type: document.type }), document.name);
      form.append("orgId", "placeholder");
      return call("POST", `/document/batch/${guid}/upload`, form);
    },
    process(guid: string, command: Record<string, unknown>) {
      return call("POST", `/document/batch/${guid}/process`, command);
    },
    status(guid: string) {
      return call("GET", `/job/status/${guid}`);
    },
    async waitUntilDone(guid: string, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await call("GET", `/job/status/${guid}`);
        if (status.status !== 200) throw new Error(`status answered ${status.status}: ${status.text}`);
        if (status.body.status === "COMPLETED" || status.body.status === "ERROR") return status.body;
        if (Date.now() > deadline) throw new Error(`job ${guid} still ${status.body.status}`);
        await sleep(200);
      }
    },
  };
}

/** The JSON Schema the request asked for (response_format json_schema). */
export function requestedSchema(request: FakeRequest): any {
  return (request.body.response_format as { json_schema?: { schema?: unknown } } | undefined)?.json_schema?.schema;
}

/**
 * The fake model's answer for the statements schema: the customer is the first marker the
 * document's text (as sent) contains, so a result shows which document the model read.
 */
export function statementsAnswer(markers: readonly string[]) {
  return (request: FakeRequest) => {
    const seen = markers.find((marker) => request.promptText.toLowerCase().includes(marker.toLowerCase())) ?? "none";
    return { content: JSON.stringify({ statements: [{ date: "2024-01-31", customer: seen, total: 10 + markers.indexOf(seen) }] }) };
  };
}
