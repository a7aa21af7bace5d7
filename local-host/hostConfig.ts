import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export interface HostConfig {
  path?: string;
  routePrefix: string;
  hubName: string;
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
}

/** host.json next to the package.json above the compiled entry (the app root). */
export function findHostJson(entry: string): string | undefined {
  let dir = path.dirname(path.resolve(entry));
  for (;;) {
    if (existsSync(path.join(dir, "package.json"))) {
      const candidate = path.join(dir, "host.json");
      return existsSync(candidate) ? candidate : undefined;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Replaces `%SETTING%` with app settings, as the host resolves host.json and binding values. */
export function resolveSettings(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (whole, name: string) => env[name] ?? whole);
}

/** The parts of host.json the local host reads; values are checked where they are used. */
interface HostJson {
  extensions?: {
    http?: { routePrefix?: unknown };
    durableTask?: { hubName?: unknown; maxConcurrentActivityFunctions?: unknown; maxConcurrentOrchestratorFunctions?: unknown };
  };
}

export function readHostConfig(hostJsonPath: string | undefined, env: NodeJS.ProcessEnv = process.env): HostConfig {
  const json = hostJsonPath ? (JSON.parse(readFileSync(hostJsonPath, "utf8")) as HostJson) : {};
  const http = json.extensions?.http ?? {};
  const durable = json.extensions?.durableTask ?? {};
  let hubName = resolveSettings(String(durable.hubName ?? "TestHubName"), env);
  if (/%[^%]+%/.test(hubName)) {
    // The setting is missing; the extension's own default keeps local runs going.
    console.warn(`[local-host] host.json hubName ${hubName} names an unset app setting; using "TestHubName".`);
    hubName = "TestHubName";
  }
  const number = (value: unknown) => (typeof value === "number" && value > 0 ? value : undefined);
  return {
    path: hostJsonPath,
    routePrefix: typeof http.routePrefix === "string" ? http.routePrefix : "api",
    hubName,
    maxConcurrentActivityFunctions: number(durable.maxConcurrentActivityFunctions),
    maxConcurrentOrchestratorFunctions: number(durable.maxConcurrentOrchestratorFunctions),
  };
}
