import http from "node:http";
import { NODE_MAX_HEADER_SIZE } from "./requestLimits.js";

/**
 * Asks the programming model for its capabilities, as the worker does at startup. With HTTP
 * streams on, the library starts its HTTP proxy server then; we keep a handle on that server so
 * close() can stop it, and lift Node's default request timeout so long uploads are not cut off.
 */
export async function captureWorkerProxy(
  getCapabilities: () => Promise<Record<string, string>>,
): Promise<{ capabilities: Record<string, string>; proxyServer?: http.Server }> {
  const original = http.createServer;
  let proxyServer: http.Server | undefined;
  (http as { createServer: unknown }).createServer = function (this: unknown, ...args: unknown[]) {
    const server = (original as (...a: unknown[]) => http.Server).apply(this, args);
    proxyServer ??= server;
    return server;
  };
  let capabilities: Record<string, string>;
  try {
    capabilities = await getCapabilities();
  } finally {
    (http as { createServer: unknown }).createServer = original;
  }
  if (proxyServer) {
    proxyServer.requestTimeout = 0;
    // Whatever the host accepts is forwarded: the proxy must not refuse it at Node's 16 KB (the
    // invocation would then wait for a request that never reaches the library).
    (proxyServer as http.Server & { maxHeaderSize?: number }).maxHeaderSize = NODE_MAX_HEADER_SIZE;
    // Longer than any idle gap between our forwarded requests, so a reused socket is never
    // closed by the proxy while a request is being written to it.
    proxyServer.keepAliveTimeout = 10 * 60_000;
  }
  return { capabilities, proxyServer };
}

/**
 * An agent whose connections serve one request each. The worker's proxy closes a connection
 * when the app stops reading a request body early; one handed out again meanwhile would lose
 * the next request. Keep-alive is still announced, so the proxy answers before it closes.
 */
export function singleUseConnections(): http.Agent {
  const agent = new http.Agent({ keepAlive: true });
  agent.keepSocketAlive = () => false;
  return agent;
}
