#!/usr/bin/env node
// `npx docbatch` from the repo: runs the compiled CLI, building the repo first if it never was.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const main = path.join(root, "dist", "cli", "main.js");
if (!existsSync(main)) {
  process.stderr.write("docbatch: building the repo once (npm run build:all)...\n");
  const build = spawnSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", root], { stdio: ["ignore", "inherit", "inherit"] });
  if (build.status !== 0 || !existsSync(main)) {
    process.stderr.write("docbatch: the build failed; run `npm ci && npm run build:all` in the repo.\n");
    process.exit(1);
  }
}
await import(pathToFileURL(main).href);
