import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// Compiled to dist/test/engine: the TypeScript sources are three levels up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const src = path.join(root, "src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : full.endsWith(".ts") ? [full] : [];
  });
}

/** Every module a file imports (static, dynamic, type-only, re-exports), as paths under src/ when relative. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g)].map((m) => m[1]);
  return specifiers.filter((s) => s.startsWith(".")).map((s) => path.relative(src, path.resolve(path.dirname(file), s)).replaceAll(path.sep, "/"));
}

function offenders(folders: string[], forbidden: string[]): string[] {
  const found: string[] = [];
  for (const folder of folders) {
    for (const file of sources(path.join(src, folder))) {
      for (const target of importsOf(file)) {
        if (forbidden.some((prefix) => target.startsWith(prefix))) found.push(`${path.relative(root, file)} imports src/${target}`);
      }
    }
  }
  return found;
}

test("the engine, kinds, orchestration, storage adapters and analyzers import nothing from a front door's wire folder (src/api/)", () => {
  const checked = ["engine", "kinds", "orchestration", "storage", "analyzers"];
  assert.ok(checked.every((folder) => sources(path.join(src, folder)).length > 0), "every checked folder has sources");
  assert.deepEqual(offenders(checked, ["api/"]), []);
});

test("the engine knows no kind and no function registration; orchestration code imports no I/O module", () => {
  assert.deepEqual(offenders(["engine"], ["kinds/", "functions/", "services/", "api/"]), []);
  assert.deepEqual(offenders(["orchestration"], ["storage/", "kinds/", "services/", "analyzers/", "functions/"]), []);
});
