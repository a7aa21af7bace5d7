import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Bare package names a folder's TypeScript imports (not node: built-ins, not relative paths). */
async function packagesImportedBy(folder: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const text = await readFile(path.join(entry.parentPath, entry.name), "utf8");
    for (const match of text.matchAll(/^import (?!type )[^;]*? from "([^".][^"]*)";/gm)) {
      if (match[1].startsWith("node:")) continue;
      const parts = match[1].split("/");
      names.add(match[1].startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
    }
  }
  return names;
}

describe("the CLI installs like a tool", () => {
  test("every package the CLI imports at run time is a dependency, not a devDependency", async () => {
    const manifest = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string>; bin: Record<string, string> };
    const missing = [...(await packagesImportedBy(path.join(repoRoot, "cli")))].filter((name) => !(name in manifest.dependencies));
    assert.deepEqual(missing, [], "`npm install -g .` needs these as dependencies");
    assert.equal(manifest.bin.docbatch, "bin/docbatch.mjs");
  });

  test("`npm install -g .` from the clone puts a docbatch on the PATH that runs from any folder", async () => {
    const prefix = await mkdtemp(path.join(tmpdir(), "docbatch-global-"));
    const install = spawnSync("npm", ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", "--offline", "."], { cwd: repoRoot, encoding: "utf8" });
    assert.equal(install.status, 0, install.stderr);
    const elsewhere = await mkdtemp(path.join(tmpdir(), "docbatch-elsewhere-"));
    const help = spawnSync(path.join(prefix, "bin", "docbatch"), ["--help"], { cwd: elsewhere, encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: docbatch /m);
    assert.match(help.stdout, /dashboard/);
    const version = spawnSync(path.join(prefix, "bin", "docbatch"), ["--version"], { cwd: elsewhere, encoding: "utf8" });
    assert.equal(version.stdout.trim(), JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")).version);
  });
});
