#!/usr/bin/env node
// `npm start`: the local loop with Azure Functions Core Tools. Starts Azurite from npm on its
// default ports (so `UseDevelopmentStorage=true` works), creates local.settings.json from the
// example when missing, and runs `func start`. Ctrl-C stops both. Expects `npm run build` first.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { createConnection } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

// Azurite's well-known ports: UseDevelopmentStorage=true means exactly these.
const AZURITE_PORTS = { blob: 10000, queue: 10001, table: 10002 };
const HOST = "127.0.0.1";

const func = findFunc();
if (!func) {
  console.error(
    [
      "Azure Functions Core Tools (`func`) is not installed, so `npm start` cannot run the Functions host.",
      "",
      "Core Tools is a tool, not one of docbatch's dependencies. Install it with one of:",
      "  npm i -g azure-functions-core-tools@4",
      "  winget install Microsoft.Azure.FunctionsCoreTools        (Windows)",
      "  brew tap azure/functions && brew install azure-functions-core-tools@4   (macOS)",
      "  sudo apt-get install azure-functions-core-tools-4       (Debian/Ubuntu, after adding Microsoft's package repository)",
      "",
      "Or run docbatch without Core Tools: `npm run local` (same API, served by a plain Node host with Azurite).",
    ].join("\n"),
  );
  process.exit(1);
}

if (!existsSync("local.settings.json")) {
  copyFileSync("local.settings.json.example", "local.settings.json");
  console.log("Created local.settings.json from local.settings.json.example.");
}

// Reuse an Azurite that already listens there (VS Code extension, another terminal).
let azurite;
if (await listening(AZURITE_PORTS.blob)) {
  console.log(`Azurite already listens on ${HOST}:${AZURITE_PORTS.blob}; using it.`);
} else {
  const azuriteModule = path.join(root, "dist", "local-host", "azurite.js");
  if (!existsSync(azuriteModule)) {
    console.error("dist/local-host/azurite.js is missing: run `npm run build` (npm start does it for you).");
    process.exit(1);
  }
  const { startAzurite } = await import(pathToFileURL(azuriteModule).href);
  const location = path.join(root, ".local-data", "azurite");
  mkdirSync(location, { recursive: true });
  azurite = await startAzurite({ host: HOST, ports: AZURITE_PORTS, location });
  console.log(`Azurite: blob ${azurite.blobEndpoint}, queue ${azurite.queueEndpoint}, table ${azurite.tableEndpoint} (data in .local-data/azurite)`);
}

const host = spawn(func, ["start"], {
  stdio: "inherit",
  // `func` is a .cmd shim on Windows, which only a shell can run.
  shell: process.platform === "win32",
});

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (host.exitCode === null && host.signalCode === null) host.kill("SIGINT");
  await azurite?.stop();
  process.exit(code);
}

// Ctrl-C reaches `func` directly (same terminal); we only wait for it, then stop Azurite.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => void stop(143));
host.on("exit", (status, signal) => void stop(status ?? (signal ? 130 : 0)));
host.on("error", (error) => {
  console.error(`Could not run ${func}: ${error.message}`);
  void stop(1);
});

/** `func` on PATH (a global install); undefined when absent. */
function findFunc() {
  const names = process.platform === "win32" ? ["func.cmd", "func.exe", "func"] : ["func"];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const found = names.map((name) => path.join(dir, name)).find((file) => existsSync(file));
    if (found) return found;
  }
  return undefined;
}

function listening(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
