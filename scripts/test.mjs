#!/usr/bin/env node
// Builds, starts one in-memory Azurite for the whole run, and runs node's test runner over the
// compiled tests. Arguments narrow the run to some test files or folders (TypeScript paths).
import { spawnSync, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

// The tests run on the Node.js docbatch deploys (node-version.mjs); the run says which.
const { requireDocbatchNode } = await import("./node-version.mjs");
requireDocbatchNode("npm test");
console.log(`Node.js ${process.version} (${process.execPath})`);

if (!process.argv.includes("--no-build")) {
  const build = spawnSync(process.execPath, [path.join("node_modules", "typescript", "bin", "tsc"), "-p", "."], { stdio: "inherit" });
  // Type errors fail CI; locally the emitted JavaScript still runs so one broken file does not
  // stop everyone else's tests.
  if (build.status !== 0 && (process.env.CI || process.argv.includes("--strict"))) process.exit(build.status ?? 1);
  if (build.status !== 0) console.error("\nType errors above: the tests run anyway (CI fails on them).\n");
}

// The Python clients' tests need their virtual environment; build it on a fresh machine so that
// `npm test` alone works. When it cannot be built (no Python, no PyPI), the other tests still run
// and the Python ones fail saying how to fix it.
const { ensurePythonEnv } = await import("./setup-python.mjs");
try {
  ensurePythonEnv();
} catch (error) {
  console.error(`\nPython test environment not built: ${error instanceof Error ? error.message : error}\n`);
}

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const roots = (wanted.length ? wanted : ["test"]).map((p) => path.join("dist", p.replace(/\.ts$/, ".js")));
const files = roots.flatMap((p) => collect(p)).sort();
if (files.length === 0) {
  console.error(`No compiled tests found under ${roots.join(", ")}`);
  process.exit(1);
}

const { startAzurite, shareAzurite } = await import(path.join(root, "dist/local-host/azurite.js"));
const azurite = await startAzurite();
const child = spawn(process.execPath, ["--test", "--test-concurrency=2", "--test-timeout=300000", ...files], {
  stdio: "inherit",
  env: { ...process.env, ...shareAzurite(azurite) },
});
const code = await new Promise((resolve) => child.on("exit", (status, signal) => resolve(status ?? (signal ? 1 : 0))));
await azurite.stop();
process.exit(code);

function collect(p) {
  if (!existsSync(p)) return [];
  if (statSync(p).isFile()) return p.endsWith(".test.js") ? [p] : [];
  return readdirSync(p).flatMap((name) => collect(path.join(p, name)));
}
