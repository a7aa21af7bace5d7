// The package `azd deploy` ships (what .funcignore lets through, as azd applies it): the built
// app, host.json and what the platform's remote build needs, nothing else; and it runs with
// production dependencies only.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deployedFiles } from "./deployPackage.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const packageJson = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Record<string, any>;
const ENTRY = packageJson.main as string;

/** Top-level entries the package may hold: the remote build's inputs, the built app, host.json. */
const SHIPPED_TOP_LEVEL = new Set(["package.json", "package-lock.json", "host.json", "tsconfig.json", "tsconfig.build.json", "src", "dist"]);

describe("the deployed package", () => {
  const files = deployedFiles(root);

  it("holds the built entry point, host.json and the remote build's inputs", () => {
    assert.equal(ENTRY, "dist/src/index.js");
    for (const needed of [ENTRY, "host.json", "package.json", "package-lock.json", "tsconfig.build.json", "src/index.ts"]) {
      assert.ok(files.includes(needed), `${needed} is shipped (run \`npm run build\` first: azd does)`);
    }
  });

  it("holds nothing else: no node_modules, tests, tools, docs, infrastructure or local settings", () => {
    const unexpected = [...new Set(files.map((file) => file.split("/")[0]!))].filter((top) => !SHIPPED_TOP_LEVEL.has(top));
    assert.deepEqual(unexpected, [], "add these to .funcignore, or to SHIPPED_TOP_LEVEL if the app needs them at run time");
    const outsideApp = files.filter((file) => file.startsWith("dist/") && !file.startsWith("dist/src/"));
    assert.deepEqual(outsideApp, [], "only dist/src is the app");
    assert.deepEqual(files.filter((file) => /(^|\/)node_modules\//.test(file)), []);
    assert.deepEqual(files.filter((file) => /\.test\.(js|ts)$|(^|\/)test\//.test(file)), []);
    assert.deepEqual(files.filter((file) => file.endsWith(".map")), []);
    assert.deepEqual(files.filter((file) => /azure-functions-core-tools|(^|\/)func(\.exe)?$/.test(file)), []);
  });

  it("azd accepts remoteBuild: .funcignore excludes node_modules, as azd checks it", async () => {
    // azd's check (resolveFunctionAppRemoteBuild): the ignore file's rules must match `node_modules` as a folder.
    const { default: ignore } = await import("ignore");
    const rules = readFileSync(path.join(root, ".funcignore"), "utf8");
    assert.ok(ignore().add(rules).ignores("node_modules/"));
    assert.match(readFileSync(path.join(root, "azure.yaml"), "utf8"), /^    remoteBuild: true$/m);
  });

  it("the platform's build compiles the shipped sources, then drops the dev dependencies", () => {
    // Oryx's Node build runs `npm install`, `npm run build`, then `npm run build:azure` when present.
    assert.equal(packageJson.scripts.build, "tsc -p tsconfig.build.json");
    assert.equal(packageJson.scripts["build:azure"], "npm prune --omit=dev");
    const buildConfig = JSON.parse(readFileSync(path.join(root, "tsconfig.build.json"), "utf8")) as { include: string[] };
    assert.deepEqual(buildConfig.include, ["src"]);
  });

  it("Core Tools is no dependency of any kind", () => {
    for (const kind of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"]) {
      assert.equal(packageJson[kind]?.["azure-functions-core-tools"], undefined, kind);
    }
    const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    assert.deepEqual(Object.keys(lock.packages).filter((p) => p.includes("azure-functions-core-tools")), []);
  });

  it("`npm start` without Core Tools on PATH says how to install it, no stack trace", () => {
    const run = spawnSync(process.execPath, [path.join(root, "scripts", "start.mjs")], { encoding: "utf8", env: { PATH: path.dirname(process.execPath) }, timeout: 60_000 });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /npm i -g azure-functions-core-tools@4\n/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  });
});

describe("the deployed package with production dependencies only", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "docbatch-package-"));
    for (const file of deployedFiles(root)) cpSync(path.join(root, file), path.join(dir, file));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("`npm ci --omit=dev` installs it, and the entry point and every module it can load resolve", () => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const install = spawnSync(npm, ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: dir, encoding: "utf8", shell: process.platform === "win32", timeout: 600_000 });
    assert.equal(install.status, 0, `npm ci --omit=dev failed:\n${install.stdout}\n${install.stderr}`);
    for (const devOnly of ["typescript", "azurite", "node", "azure-functions-core-tools"]) {
      assert.ok(!existsSync(path.join(dir, "node_modules", devOnly)), `${devOnly} is not installed in production`);
    }

    // The entry point as the worker loads it, then every package the app imports lazily or
    // resolves by name (OCR data, pdf.js): all from the production install.
    const check = `
      import { readdirSync, readFileSync, statSync } from "node:fs";
      import { createRequire } from "node:module";
      import path from "node:path";
      await import(path.resolve(${JSON.stringify(ENTRY)}));
      const require = createRequire(path.resolve("package.json"));
      const files = [];
      const walk = (d) => { for (const n of readdirSync(d)) { const f = path.join(d, n); statSync(f).isDirectory() ? walk(f) : f.endsWith(".js") && files.push(f); } };
      walk("dist/src");
      const imported = new Set(), resolved = new Set();
      for (const f of files) {
        const text = readFileSync(f, "utf8");
        for (const m of text.matchAll(/(?:from |import\\()\\s*"([^".][^"]*)"/g)) imported.add(m[1]);
        for (const m of text.matchAll(/require\\.resolve\\("([^".][^"]*)"\\)/g)) resolved.add(m[1]);
      }
      for (const spec of imported) await import(spec);
      for (const spec of resolved) require.resolve(spec);
      console.log(JSON.stringify({ modules: files.length, imported: imported.size, resolved: resolved.size }));
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", check], { cwd: dir, encoding: "utf8", timeout: 120_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    assert.equal(run.status, 0, `loading the production package failed:\n${run.stdout}\n${run.stderr}`);
    const counts = JSON.parse(run.stdout.trim().split("\n").pop()!) as { modules: number; imported: number };
    assert.ok(counts.modules > 50 && counts.imported > 20, `the scan saw the app: ${run.stdout}`);
  });
});
