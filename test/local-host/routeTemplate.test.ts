import { test } from "node:test";
import assert from "node:assert/strict";
import { compileRoute } from "../../local-host/routeTemplate.js";
import { RouteTable } from "../../local-host/routeTable.js";
import type { RegisteredFunction } from "../../local-host/functionsCore.js";

test("route templates match parameters, optionals, constraints and catch-alls like ASP.NET", () => {
  assert.deepEqual(compileRoute("items/{id:int}").match("/items/42"), { id: "42" });
  assert.equal(compileRoute("items/{id:int}").match("/items/abc"), undefined);
  assert.deepEqual(compileRoute("echo/{a}/{b?}").match("/echo/x"), { a: "x" });
  assert.deepEqual(compileRoute("echo/{a}/{b?}").match("/ECHO/x/y"), { a: "x", b: "y" });
  assert.deepEqual(compileRoute("files/{*path}").match("/files/a/b/c.txt"), { path: "a/b/c.txt" });
  assert.deepEqual(compileRoute("files/{*path}").match("/files"), {});
  assert.deepEqual(compileRoute("models/{modelId}:analyze").match("/models/prebuilt-read:analyze"), { modelId: "prebuilt-read" });
  assert.deepEqual(compileRoute("a/{code:regex(^[a-z]{{2}}$):minlength(2)}").match("/a/xy"), { code: "xy" });
  assert.equal(compileRoute("a/{code:regex(^[a-z]{{2}}$)}").match("/a/xyz"), undefined);
  assert.deepEqual(compileRoute("names/{name}").match("/names/hello%20world"), { name: "hello world" });
});

test("the route table prefers literals and constrained parameters, and tells 405 from 404", () => {
  const fn = (name: string, route: string, methods?: string[]) =>
    ({ name, metadata: { name, bindings: {} }, callback: () => {}, trigger: { name: "t", type: "httpTrigger", route, methods } }) as RegisteredFunction;
  const table = new RouteTable([fn("byName", "items/{name}"), fn("special", "items/special"), fn("byId", "items/{id:int}", ["GET"])], "api");
  const name = (path: string, method = "GET") => {
    const found = table.lookup(method, path);
    return found.kind === "found" ? found.fn.name : found.kind;
  };
  assert.equal(name("/api/items/special"), "special");
  assert.equal(name("/api/items/7"), "byId");
  assert.equal(name("/api/items/seven"), "byName");
  assert.equal(name("/items/seven"), "notFound");
  const onlyGet = new RouteTable([fn("get", "thing", ["GET"])], "");
  assert.deepEqual(onlyGet.lookup("POST", "/thing"), { kind: "methodNotAllowed", allow: ["GET"] });
});
