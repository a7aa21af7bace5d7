/**
 * A local stand-in for Azure AI Document Intelligence's single-document analyze operation
 * (api-version 2024-11-30), following the published contract: key in
 * `Ocp-Apim-Subscription-Key` (401 otherwise), `POST .../documentModels/{modelId}:analyze` with
 * raw bytes or `{ base64Source }` answers 202 + absolute `Operation-Location`; polling that
 * location answers `running` a few times then `succeeded` with `analyzeResult`; unknown models
 * answer 404; throttling (429 + Retry-After) on demand. Every request is logged.
 *
 *   const fake = await startFakeDocumentIntelligence();
 *   // settings: DOCUMENT_INTELLIGENCE_ENDPOINT=fake.endpoint, DOCUMENT_INTELLIGENCE_KEY=fake.key
 *   fake.setThrottle(2); // the next two requests get 429
 *   await fake.close();
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const API_VERSION = "2024-11-30";
const DEFAULT_MODELS = ["prebuilt-read", "prebuilt-layout", "prebuilt-invoice", "prebuilt-receipt", "prebuilt-idDocument"];

export interface FakeAnalyzeRequest {
  modelId: string;
  bytes: Uint8Array;
  query: Record<string, string>;
}

/** Thrown by a custom `analyze` to make the operation end `failed` with this error. */
export class FakeServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly innererror?: { code: string; message: string },
  ) {
    super(message);
  }
}

export interface FakeDocumentIntelligenceOptions {
  /** Accepted key (default: a random one). */
  key?: string;
  /** Model ids the fake knows besides a few prebuilt ones. */
  models?: string[];
  /** Polls answered `running` before `succeeded` (default 1). */
  pollsBeforeSuccess?: number;
  /** Retry-After (seconds) sent with 202 and `running` answers; none by default. */
  retryAfterSeconds?: number;
  /** Produces the analyzeResult; the default reads the bytes as UTF-8 text. */
  analyze?: (request: FakeAnalyzeRequest) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

export interface FakeRequestLogEntry {
  method: string;
  /** Path without query. */
  path: string;
  query: Record<string, string>;
  /** Status the fake answered with. */
  status: number;
  /** Date.now() when the request arrived. */
  at: number;
  bodyBytes: number;
  headers: Record<string, string | string[] | undefined>;
}

export interface FakeDocumentIntelligence {
  /** e.g. http://127.0.0.1:41234 (no trailing slash, no /documentintelligence). */
  endpoint: string;
  key: string;
  /** Every request, in arrival order. */
  requests: FakeRequestLogEntry[];
  /** The next `count` requests answer 429 with Retry-After `retryAfterSeconds` (default 1). */
  setThrottle(count: number, retryAfterSeconds?: number): void;
  /** Adds a model id the fake knows. */
  addModel(modelId: string): void;
  close(): Promise<void>;
}

interface Operation {
  modelId: string;
  createdDateTime: string;
  polls: number;
  outcome: Promise<{ result?: Record<string, unknown>; error?: Record<string, unknown> }>;
}

export async function startFakeDocumentIntelligence(options: FakeDocumentIntelligenceOptions = {}): Promise<FakeDocumentIntelligence> {
  const key = options.key ?? randomUUID().replace(/-/g, "");
  const models = new Set([...DEFAULT_MODELS, ...(options.models ?? [])]);
  const requests: FakeRequestLogEntry[] = [];
  const operations = new Map<string, Operation>();
  let throttle = { count: 0, retryAfterSeconds: 1 };
  let endpoint = "";

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { code: "InternalServerError", message: String(error) } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", endpoint);
    const body = await readBody(req);
    const query = Object.fromEntries(url.searchParams);
    const entry: FakeRequestLogEntry = { method: req.method ?? "", path: url.pathname, query, status: 0, at: Date.now(), bodyBytes: body.length, headers: req.headers };
    requests.push(entry);
    const answer = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      send(res, status, json, headers);
    };

    if (throttle.count > 0) {
      throttle.count--;
      return answer(
        429,
        { error: { code: "429", message: "Requests to the Analyze Document operation have exceeded the call rate limit of your current pricing tier. Please retry after the time given in Retry-After." } },
        { "retry-after": String(throttle.retryAfterSeconds) },
      );
    }
    if (req.headers["ocp-apim-subscription-key"] !== key) {
      return answer(401, { error: { code: "401", message: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource." } });
    }
    const path = url.pathname.replace(/\/+$/, "");
    if (!path.startsWith("/documentintelligence/")) return answer(404, { error: { code: "404", message: "Resource not found" } });
    if (query["api-version"] !== API_VERSION) {
      return answer(400, { error: { code: "InvalidRequest", message: "Invalid request.", innererror: { code: "UnsupportedApiVersion", message: `The API version ${query["api-version"] ?? "(none)"} is not supported.` } } });
    }

    const analyzeMatch = /^\/documentintelligence\/documentModels\/([^/]+):analyze$/.exec(path);
    const resultMatch = /^\/documentintelligence\/documentModels\/([^/]+)\/analyzeResults\/([^/]+)$/.exec(path);
    const modelMatch = /^\/documentintelligence\/documentModels\/([^/:]+)$/.exec(path);

    if (req.method === "POST" && analyzeMatch) {
      const modelId = decodeURIComponent(analyzeMatch[1]);
      if (!models.has(modelId)) return answer(404, modelNotFound(modelId));
      let bytes: Uint8Array = body;
      if (String(req.headers["content-type"] ?? "").startsWith("application/json")) {
        const json = JSON.parse(body.toString("utf8") || "{}") as { base64Source?: string; urlSource?: string };
        if (!json.base64Source) return answer(400, invalidContent("The request must carry base64Source (urlSource is not supported by this fake)."));
        bytes = Buffer.from(json.base64Source, "base64");
      }
      if (bytes.length === 0) return answer(400, invalidContent("The file is empty."));
      const resultId = randomUUID();
      const created = new Date().toISOString();
      const outcome = Promise.resolve()
        .then(() => (options.analyze ?? defaultAnalyze)({ modelId, bytes, query }))
        .then(
          (result) => ({ result }),
          (error: unknown) => ({
            error:
              error instanceof FakeServiceError
                ? { code: error.code, message: error.message, ...(error.innererror ? { innererror: error.innererror } : {}) }
                : { code: "InternalServerError", message: String(error) },
          }),
        );
      operations.set(resultId, { modelId, createdDateTime: created, polls: 0, outcome });
      const location = `${endpoint}/documentintelligence/documentModels/${encodeURIComponent(modelId)}/analyzeResults/${resultId}?api-version=${API_VERSION}`;
      return answer(202, undefined, { "operation-location": location, ...retryAfter() });
    }

    if (req.method === "GET" && resultMatch) {
      const operation = operations.get(resultMatch[2]);
      if (!operation || operation.modelId !== decodeURIComponent(resultMatch[1])) {
        return answer(404, { error: { code: "NotFound", message: "Resource not found.", innererror: { code: "ResultNotFound", message: "The requested analyze result was not found." } } });
      }
      operation.polls++;
      const base = { createdDateTime: operation.createdDateTime, lastUpdatedDateTime: new Date().toISOString() };
      if (operation.polls <= (options.pollsBeforeSuccess ?? 1)) return answer(200, { status: "running", ...base }, retryAfter());
      const { result, error } = await operation.outcome;
      if (error) return answer(200, { status: "failed", ...base, error });
      return answer(200, { status: "succeeded", ...base, analyzeResult: result });
    }

    if (req.method === "GET" && modelMatch) {
      const modelId = decodeURIComponent(modelMatch[1]);
      if (!models.has(modelId)) return answer(404, modelNotFound(modelId));
      return answer(200, describeModel(modelId));
    }

    if (req.method === "GET" && path === "/documentintelligence/documentModels") {
      return answer(200, { value: [...models].map(describeModel) });
    }

    return answer(404, { error: { code: "404", message: "Resource not found" } });
  }

  const retryAfter = (): Record<string, string> => (options.retryAfterSeconds === undefined ? {} : { "retry-after": String(options.retryAfterSeconds) });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    key,
    requests,
    setThrottle(count, retryAfterSeconds = 1) {
      throttle = { count, retryAfterSeconds };
    },
    addModel(modelId) {
      models.add(modelId);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function describeModel(modelId: string) {
  return { modelId, description: `Fake model ${modelId}`, createdDateTime: "2024-11-30T00:00:00Z", apiVersion: API_VERSION };
}

function modelNotFound(modelId: string) {
  return { error: { code: "NotFound", message: "Resource not found.", innererror: { code: "ModelNotFound", message: `The requested model ${modelId} was not found.` } } };
}

function invalidContent(message: string) {
  return { error: { code: "InvalidRequest", message: "Invalid request.", innererror: { code: "InvalidContent", message } } };
}

/** A plausible read result: the bytes as UTF-8 text, one page, words and lines, no positions. */
function defaultAnalyze({ modelId, bytes, query }: FakeAnalyzeRequest): Record<string, unknown> {
  const text = Buffer.from(bytes).toString("utf8").replace(/[^\P{C}\n]/gu, " ").trim();
  const lines = text.split("\n").map((line) => line.trim()).filter(Boolean);
  const content = lines.join("\n");
  let offset = 0;
  const words: unknown[] = [];
  const lineObjects: unknown[] = [];
  for (const line of lines) {
    lineObjects.push({ content: line, polygon: [0, 0, 1, 0, 1, 1, 0, 1], spans: [{ offset, length: line.length }] });
    for (const match of line.matchAll(/\S+/g)) {
      words.push({ content: match[0], polygon: [0, 0, 1, 0, 1, 1, 0, 1], confidence: 0.99, span: { offset: offset + match.index, length: match[0].length } });
    }
    offset += line.length + 1;
  }
  return {
    apiVersion: API_VERSION,
    modelId,
    stringIndexType: query.stringIndexType ?? "textElements",
    content,
    contentFormat: query.outputContentFormat ?? "text",
    pages: [{ pageNumber: 1, angle: 0, width: 8.5, height: 11, unit: "inch", spans: [{ offset: 0, length: content.length }], words, lines: lineObjects }],
    ...(modelId === "prebuilt-invoice" ? { documents: [{ docType: "invoice", confidence: 0.9, spans: [{ offset: 0, length: content.length }], fields: {} }] } : {}),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, json?: unknown, headers: Record<string, string> = {}): void {
  const body = json === undefined ? "" : JSON.stringify(json);
  res.writeHead(status, { ...(json === undefined ? {} : { "content-type": "application/json; charset=utf-8" }), "apim-request-id": randomUUID(), ...headers });
  res.end(body);
}

/**
 * An `analyze` whose calls wait at the fake until the test lets them go, so a batch surely has
 * documents at the service, or not started, when the test acts. The result is the text as one page.
 */
export function holdingAnalyze() {
  const waiting: Array<() => void> = [];
  let holding = true;
  return {
    analyze: async ({ modelId, bytes }: FakeAnalyzeRequest): Promise<Record<string, unknown>> => {
      if (holding) await new Promise<void>((go) => waiting.push(go));
      const content = Buffer.from(bytes).toString("utf8");
      return { apiVersion: API_VERSION, modelId, stringIndexType: "textElements", content, pages: [{ pageNumber: 1, spans: [{ offset: 0, length: content.length }] }] };
    },
    /** Resolves once at least one call waits. */
    async someWaiting(): Promise<void> {
      while (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    /** Answers the calls waiting now; later ones wait again. */
    letWaitingGo(): void {
      for (const go of waiting.splice(0)) go();
    },
    /** Answers every call, now and from now on. */
    releaseAll(): void {
      holding = false;
      for (const go of waiting.splice(0)) go();
    },
  };
}
