#!/usr/bin/env node
// The Python test environment: a virtual environment in .venv-test/ built from the pinned
// test/requirements.txt. Rebuilt from scratch when missing or when the requirements (or the
// Python it was built with) changed, so no test ever runs against packages installed by hand.
// `npm run setup:python` runs it; scripts/test.mjs and .ci/run call it before the tests.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const VENV_DIR = path.join(root, ".venv-test");
export const REQUIREMENTS = path.join(root, "test", "requirements.txt");
const STAMP = path.join(VENV_DIR, "requirements.sha256");
const basePython = process.env.DOCBATCH_PYTHON || "python3";

/** The venv's interpreter (Windows keeps it under Scripts/). */
export function venvPython(venvDir = VENV_DIR) {
  return process.platform === "win32" ? path.join(venvDir, "Scripts", "python.exe") : path.join(venvDir, "bin", "python");
}

function wantedStamp() {
  const version = spawnSync(basePython, ["--version"], { encoding: "utf8" });
  if (version.error || version.status !== 0) {
    throw new Error(`${basePython} is not runnable (${version.error?.message ?? version.stderr.trim()}); install Python 3.11+ or set DOCBATCH_PYTHON`);
  }
  return createHash("sha256").update(readFileSync(REQUIREMENTS)).update(version.stdout + version.stderr).digest("hex");
}

function builtWith(stamp) {
  return existsSync(venvPython()) && existsSync(STAMP) && readFileSync(STAMP, "utf8").trim() === stamp;
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"], cwd: root });
  if (result.error || result.status !== 0) {
    throw new Error(`${[command, ...args].join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
}

/** Creates or rebuilds the venv when needed; returns whether it did anything. */
export function ensurePythonEnv({ log = (line) => console.error(line) } = {}) {
  const stamp = wantedStamp();
  if (builtWith(stamp)) return false;
  log(`Python test environment: building ${path.relative(root, VENV_DIR)}/ from ${path.relative(root, REQUIREMENTS)}`);
  rmSync(VENV_DIR, { recursive: true, force: true });
  run(basePython, ["-m", "venv", VENV_DIR]);
  const python = venvPython();
  run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "-r", REQUIREMENTS]);
  // Pins that contradict each other install anyway with a warning; fail here instead.
  run(python, ["-m", "pip", "check"]);
  writeFileSync(STAMP, `${stamp}\n`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const built = ensurePythonEnv();
    console.error(built ? "Python test environment ready." : "Python test environment already up to date.");
  } catch (error) {
    console.error(String(error instanceof Error ? error.message : error));
    process.exit(1);
  }
}
