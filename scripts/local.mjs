#!/usr/bin/env node
// `npm run local`: builds, then runs the local host (dist/local-host/cli.js) in THIS process, so
// SIGINT/SIGTERM sent to `npm run local` reach the code that stops the app and Azurite; a shell
// chain (`build && node …`) would leave node and Azurite running when the shell is signalled.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { requireDocbatchNode } = await import("./node-version.mjs");
requireDocbatchNode("npm run local");
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
// DOCBATCH_SKIP_BUILD=1: dist/ is already built (the tests set it, so a run a test starts does
// not rewrite files that concurrently running tests are loading).
if (process.env.DOCBATCH_SKIP_BUILD !== "1") {
  const build = spawn(process.execPath, [tsc, "-p", root], { stdio: ["ignore", "inherit", "inherit"] });
  // A signal during the build stops the build too.
  const stopBuild = (signal) => {
    build.kill(signal);
    process.exit(130);
  };
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, stopBuild);
  const status = await new Promise((resolve) => build.on("exit", (code) => resolve(code ?? 1)));
  for (const signal of ["SIGINT", "SIGTERM"]) process.off(signal, stopBuild);
  if (status !== 0) process.exit(status);
}
// cli.js reads its options from process.argv, which still holds ours.
await import(pathToFileURL(path.join(root, "dist", "local-host", "cli.js")).href);
