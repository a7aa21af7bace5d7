import { compileRoute, comparePrecedence, type CompiledRoute } from "./routeTemplate.js";
import type { RegisteredFunction } from "./functionsCore.js";

export interface HttpRoute {
  fn: RegisteredFunction;
  route: CompiledRoute;
  /** Upper-case methods; undefined accepts every method. */
  methods?: string[];
}

export type RouteLookup =
  | { kind: "found"; fn: RegisteredFunction; params: Record<string, string> }
  | { kind: "methodNotAllowed"; allow: string[] }
  | { kind: "notFound" };

/** The HTTP triggers of the app, ordered by route precedence, each under the host's routePrefix. */
export class RouteTable {
  readonly routes: HttpRoute[];

  constructor(functions: Iterable<RegisteredFunction>, routePrefix: string) {
    const prefix = routePrefix.replace(/^\/+|\/+$/g, "");
    this.routes = [];
    for (const fn of functions) {
      if (fn.trigger.type.toLowerCase() !== "httptrigger") continue;
      const route = (fn.trigger.route as string | undefined) ?? fn.name;
      const full = [prefix, route.replace(/^\/+/, "")].filter(Boolean).join("/");
      const methods = (fn.trigger.methods as string[] | undefined)?.map((m) => m.toUpperCase());
      this.routes.push({ fn, route: compileRoute(full), methods: methods?.length ? methods : undefined });
    }
    this.routes.sort((a, b) => comparePrecedence(a.route, b.route));
  }

  lookup(method: string, pathname: string): RouteLookup {
    const allow = new Set<string>();
    for (const entry of this.routes) {
      const params = entry.route.match(pathname);
      if (!params) continue;
      if (!entry.methods || entry.methods.includes(method.toUpperCase())) return { kind: "found", fn: entry.fn, params };
      entry.methods.forEach((m) => allow.add(m));
    }
    return allow.size ? { kind: "methodNotAllowed", allow: [...allow] } : { kind: "notFound" };
  }
}
