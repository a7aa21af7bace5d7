import http from "node:http";
import type { AddressInfo } from "node:net";
import { endpointsFor, type AzuriteEndpoints, type RunningAzurite } from "../../local-host/azurite.js";

/*
 * A counting HTTP proxy in front of Azurite: one listener per service, every request forwarded
 * untouched (shared-key signatures cover path and headers, not the port) and, while counting is
 * on, recorded with the storage operation it is. Operation names follow the Storage REST docs
 * (GetBlob, PutBlob, QueryEntities, ...) so figures read like a storage bill.
 */

export type StorageService = "blob" | "queue" | "table";

export interface StorageRequest {
  service: StorageService;
  operation: string;
  /** Container, queue or table the request addressed ("" for account-level requests). */
  resource: string;
  /** Table queries: the $filter, decoded; lets callers tell status detail pages from counter reads. */
  filter?: string;
  /** Entity-group transactions: how many entity operations the one request carried. */
  batchOperations?: number;
  status: number;
}

export interface CountingProxy {
  /** Endpoints (and connection string) that reach Azurite through the proxy. */
  endpoints: AzuriteEndpoints;
  /** As a RunningAzurite whose stop() only closes the proxy; Azurite itself stays up. */
  asAzurite(): RunningAzurite;
  /** Clears what was recorded and starts recording. */
  startCounting(): void;
  /** Stops recording and returns what was recorded since startCounting. */
  stopCounting(): StorageRequest[];
  close(): Promise<void>;
}

export async function startCountingProxy(target: AzuriteEndpoints): Promise<CountingProxy> {
  let counting = false;
  let recorded: StorageRequest[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const servers: http.Server[] = [];

  const listen = async (service: StorageService, targetEndpoint: string): Promise<number> => {
    const upstream = new URL(targetEndpoint);
    const server = http.createServer((req, res) => {
      const record = counting;
      const bodyChunks: Buffer[] = [];
      const isTransaction = service === "table" && (req.url ?? "").includes("$batch");
      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on("end", () => {
            if (!record || !counting) return;
            const body = isTransaction ? Buffer.concat(bodyChunks).toString("utf8") : undefined;
            recorded.push({ ...classifyStorageRequest(service, req.method ?? "GET", req.url ?? "/", req.headers, body), status: answer.statusCode ?? 0 });
          });
        },
      );
      forward.on("error", (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      if (isTransaction) req.on("data", (chunk: Buffer) => bodyChunks.push(chunk));
      req.pipe(forward);
    });
    server.keepAliveTimeout = 30_000;
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  };

  const ports = {
    blob: await listen("blob", target.blobEndpoint),
    queue: await listen("queue", target.queueEndpoint),
    table: await listen("table", target.tableEndpoint),
  };
  const endpoints = endpointsFor("127.0.0.1", ports);
  const close = async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    servers.forEach((s) => s.closeAllConnections());
    agent.destroy();
  };
  return {
    endpoints,
    asAzurite: () => ({ ...endpoints, stop: close }),
    startCounting() {
      recorded = [];
      counting = true;
    },
    stopCounting() {
      counting = false;
      return recorded;
    },
    close,
  };
}

/** Names a request after the Storage REST operation it is. */
export function classifyStorageRequest(
  service: StorageService,
  method: string,
  rawUrl: string,
  headers: http.IncomingHttpHeaders,
  body?: string,
): Omit<StorageRequest, "status"> {
  const url = new URL(rawUrl, "http://proxy");
  // Path: /{account}/{resource}[/{rest}]
  const [, , first = "", ...rest] = url.pathname.split("/").map((part) => decodeURIComponent(part));
  const comp = url.searchParams.get("comp");
  const restype = url.searchParams.get("restype");
  const verb = method.toUpperCase();
  if (service === "blob") return { service, resource: first, operation: blobOperation(verb, comp, restype, rest.length > 0, headers) };
  if (service === "queue") return { service, resource: first, operation: queueOperation(verb, comp, rest) };
  return tableRequest(verb, first, url, headers, body);
}

function blobOperation(verb: string, comp: string | null, restype: string | null, isBlob: boolean, headers: http.IncomingHttpHeaders): string {
  if (!isBlob) {
    if (comp === "list") return restype === "container" ? "ListBlobs" : "ListContainers";
    if (restype === "container" && !comp) {
      return { PUT: "CreateContainer", DELETE: "DeleteContainer", GET: "GetContainerProperties", HEAD: "GetContainerProperties" }[verb] ?? `${verb} container`;
    }
    if (restype === "service") return comp === "properties" ? "GetServiceProperties" : `${verb} service ${comp}`;
    return `${verb} container comp=${comp}`;
  }
  switch (comp) {
    case null:
      if (verb === "GET") return "GetBlob";
      if (verb === "HEAD") return "GetBlobProperties";
      if (verb === "DELETE") return "DeleteBlob";
      if (verb === "PUT") return headers["x-ms-copy-source"] ? "CopyBlob" : "PutBlob";
      break;
    case "block":
      return "PutBlock";
    case "appendblock":
      return "AppendBlock";
    case "blocklist":
      return verb === "PUT" ? "PutBlockList" : "GetBlockList";
    case "metadata":
      return verb === "PUT" ? "SetBlobMetadata" : "GetBlobMetadata";
    case "properties":
      return "SetBlobProperties";
    case "lease":
      return "LeaseBlob";
    case "tags":
      return verb === "PUT" ? "SetBlobTags" : "GetBlobTags";
  }
  return `${verb} blob comp=${comp}`;
}

function queueOperation(verb: string, comp: string | null, rest: string[]): string {
  if (rest[0] === "messages") {
    if (rest.length > 1) return verb === "DELETE" ? "DeleteMessage" : "UpdateMessage";
    return { POST: "PutMessage", GET: "GetMessages", DELETE: "ClearMessages" }[verb] ?? `${verb} messages`;
  }
  if (comp === "list") return "ListQueues";
  if (comp === "metadata") return verb === "PUT" ? "SetQueueMetadata" : "GetQueueMetadata";
  return { PUT: "CreateQueue", DELETE: "DeleteQueue" }[verb] ?? `${verb} queue`;
}

function tableRequest(verb: string, first: string, url: URL, headers: http.IncomingHttpHeaders, body?: string): Omit<StorageRequest, "status"> {
  if (first === "$batch") {
    // Each entity operation in the multipart body is a request line such as "PUT http://... HTTP/1.1".
    const batchOperations = (body?.match(/^(GET|PUT|POST|MERGE|PATCH|DELETE) \S+ HTTP\/1\.1/gm) ?? []).length;
    const table = body?.match(/^(?:GET|PUT|POST|MERGE|PATCH|DELETE) https?:\/\/[^/]+\/[^/]+\/([^(/?\s]+)/m)?.[1] ?? "";
    return { service: "table", operation: "EntityGroupTransaction", resource: table, batchOperations };
  }
  if (first === "Tables" || first.startsWith("Tables(")) {
    const operation = verb === "POST" ? "CreateTable" : verb === "DELETE" ? "DeleteTable" : "QueryTables";
    return { service: "table", operation, resource: first.match(/^Tables\('([^']*)'\)/)?.[1] ?? "" };
  }
  const match = first.match(/^([^(]+)(?:\((.*)\))?$/);
  const table = match?.[1] ?? first;
  const keys = match?.[2] ?? "";
  const filter = url.searchParams.get("$filter") ?? undefined;
  const hasEtagCondition = headers["if-match"] !== undefined;
  let operation: string;
  if (keys) {
    operation =
      verb === "GET" ? "GetEntity"
      : verb === "PUT" ? (hasEtagCondition ? "UpdateEntity" : "InsertOrReplaceEntity")
      : verb === "MERGE" || verb === "PATCH" ? (hasEtagCondition ? "MergeEntity" : "InsertOrMergeEntity")
      : verb === "DELETE" ? "DeleteEntity"
      : `${verb} entity`;
  } else {
    operation = verb === "POST" ? "InsertEntity" : verb === "GET" ? "QueryEntities" : `${verb} table`;
  }
  return { service: "table", operation, resource: table, ...(filter ? { filter } : {}) };
}

/** Requests counted by "service operation", most frequent first. */
export function countByOperation(requests: readonly StorageRequest[]): { key: string; service: StorageService; operation: string; count: number; batchOperations: number }[] {
  const counts = new Map<string, { key: string; service: StorageService; operation: string; count: number; batchOperations: number }>();
  for (const request of requests) {
    const key = `${request.service} ${request.operation}`;
    const entry = counts.get(key) ?? { key, service: request.service, operation: request.operation, count: 0, batchOperations: 0 };
    entry.count++;
    entry.batchOperations += request.batchOperations ?? 0;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
