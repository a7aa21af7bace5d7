import type { IncomingMessage, ServerResponse } from "node:http";
import { ConflictError, type DurableEngine, type InstanceFilter } from "./engine.js";
import { managementPayload, type DurableClientData } from "./clientBinding.js";
import { statusJson } from "./statusJson.js";

export interface DurableApiContext {
  engine: DurableEngine;
  isOrchestrator(name: string): boolean;
  /** Client data for the origin the caller used (management URLs point back at it). */
  clientData(): DurableClientData;
}

/**
 * The Durable extension's HTTP API (webhooks and the local RPC endpoint share it):
 * start, status, list with continuation, raise event, terminate, suspend/resume, purge.
 */
export async function handleDurableApi(ctx: DurableApiContext, req: IncomingMessage, res: ServerResponse, subPath: string): Promise<void> {
  const url = new URL(req.url ?? "/", "http://local");
  const parts = subPath.split("/").filter(Boolean).map(decodeURIComponent);
  const method = (req.method ?? "GET").toUpperCase();
  const query = url.searchParams;
  const body = await readBody(req);

  if (parts[0] === "orchestrators" && parts.length >= 2 && method === "POST") {
    const name = parts[1];
    const instanceId = parts.slice(2).join("/") || undefined;
    if (!ctx.isOrchestrator(name)) {
      return send(res, 400, { Message: `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.` });
    }
    try {
      const instance = ctx.engine.startNew(name, { instanceId, input: body === "" ? undefined : body });
      const payload = managementPayload(ctx.clientData(), instance.instanceId);
      return send(res, 202, payload, { Location: payload.statusQueryGetUri, "Retry-After": "10" });
    } catch (error) {
      if (error instanceof ConflictError) return send(res, 409, { Message: error.message });
      throw error;
    }
  }

  if (parts[0] !== "instances") return send(res, 404, { Message: "Not found" });
  const instanceId = parts[1];
  const operation = parts[2]?.toLowerCase();

  if (!instanceId) {
    const filter = readFilter(query);
    if (method === "GET") return listInstances(ctx, req, res, filter, query);
    if (method === "DELETE") {
      const deleted = ctx.engine.purgeBy(filter);
      return deleted > 0 ? send(res, 200, { instancesDeleted: deleted }) : send(res, 404, undefined);
    }
    return send(res, 405, undefined);
  }

  if (!operation) {
    if (method === "GET") {
      const instance = ctx.engine.get(instanceId);
      if (!instance) return send(res, 404, undefined);
      const json = statusJson(instance, {
        showInput: query.get("showInput") !== "false",
        showHistory: query.get("showHistory") === "true",
        showHistoryOutput: query.get("showHistoryOutput") === "true",
      });
      const status = json.runtimeStatus as string;
      const code =
        status === "Failed" && query.get("returnInternalServerErrorOnFailure") === "true"
          ? 500
          : status === "Running" || status === "Pending" || status === "ContinuedAsNew" || status === "Suspended"
            ? 202
            : 200;
      return send(res, code, json);
    }
    if (method === "DELETE") {
      const deleted = ctx.engine.purge(instanceId);
      return deleted ? send(res, 200, { instancesDeleted: deleted }) : send(res, 404, undefined);
    }
    return send(res, 405, undefined);
  }

  if (method !== "POST") return send(res, 405, undefined);
  const reason = query.get("reason") ?? "";
  let outcome: true | false | "gone";
  switch (operation) {
    case "raiseevent":
      if (!parts[3]) return send(res, 400, { Message: "An event name is required." });
      outcome = ctx.engine.raiseEvent(instanceId, parts[3], body);
      break;
    case "terminate":
      outcome = ctx.engine.terminate(instanceId, reason);
      break;
    case "suspend":
      outcome = ctx.engine.suspend(instanceId, reason);
      break;
    case "resume":
      outcome = ctx.engine.resume(instanceId, reason);
      break;
    case "rewind":
    case "restart":
      return send(res, 501, { Message: `${operation} is not supported by the local host.` });
    default:
      return send(res, 404, undefined);
  }
  if (outcome === false) return send(res, 404, { Message: `No instance with ID '${instanceId}' found.` });
  if (outcome === "gone") return send(res, 410, { Message: `The instance '${instanceId}' has already completed.` });
  return send(res, 202, undefined);
}

function listInstances(ctx: DurableApiContext, req: IncomingMessage, res: ServerResponse, filter: InstanceFilter, query: URLSearchParams): void {
  const all = ctx.engine.list(filter);
  const token = req.headers["x-ms-continuation-token"];
  const start = typeof token === "string" && token ? Number(Buffer.from(token, "base64").toString("utf8")) || 0 : 0;
  const top = Number(query.get("top") ?? "0");
  const end = top > 0 ? Math.min(all.length, start + top) : all.length;
  const page = all.slice(start, end).map((instance) =>
    statusJson(instance, { showInput: query.get("showInput") !== "false", showHistory: false }),
  );
  const headers: Record<string, string> = {};
  if (end < all.length) headers["x-ms-continuation-token"] = Buffer.from(String(end)).toString("base64");
  send(res, 200, page, headers);
}

function readFilter(query: URLSearchParams): InstanceFilter {
  const date = (name: string) => {
    const value = query.get(name);
    return value ? new Date(value) : undefined;
  };
  const statuses = query.get("runtimeStatus");
  return {
    createdTimeFrom: date("createdTimeFrom"),
    createdTimeTo: date("createdTimeTo"),
    runtimeStatus: statuses ? statuses.split(",").map((s) => s.trim()).filter(Boolean) : undefined,
    instanceIdPrefix: query.get("instanceIdPrefix") ?? undefined,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { "Content-Type": "application/json; charset=utf-8" } : {}), ...headers });
  res.end(text);
}
