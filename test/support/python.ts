// Runs the official Python clients from the test virtual environment (.venv-test/, built from
// test/requirements.txt by `npm run setup:python`, `npm test` or `.ci/run`).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const PYTHON_TEST_DIR = path.join(repoRoot, "test", "python");
const VENV_DIR = path.join(repoRoot, ".venv-test");
const VENV_PYTHON = process.platform === "win32" ? path.join(VENV_DIR, "Scripts", "python.exe") : path.join(VENV_DIR, "bin", "python");

export type PythonSource =
  /** A script under test/python/, e.g. "diBatch.py". */
  | { script: string }
  /** Code passed to `python -c`. */
  | { code: string };

export interface RunPythonOptions {
  env?: Record<string, string>;
  args?: string[];
  /** Killed after this long (default 120 s), so a hung client fails the test instead of the run. */
  timeoutMs?: number;
}

export interface PythonRun<T> {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** stdout's last non-empty line parsed as JSON (undefined when it is not JSON). */
  json: T | undefined;
}

export class PythonEnvMissingError extends Error {
  constructor() {
    super(
      `The Python test environment is missing (${VENV_PYTHON}). Build it with \`npm run setup:python\` ` +
        "(or `bash .ci/run`); `npm test` builds it too when Python and PyPI are reachable.",
    );
  }
}

/**
 * Runs a Python script in the venv without blocking the event loop (the app under test runs in
 * this same process, so a synchronous spawn would deadlock it). Scripts print one JSON document
 * as their last line of output.
 */
export async function runPython<T = unknown>(source: PythonSource, options: RunPythonOptions = {}): Promise<PythonRun<T>> {
  if (!existsSync(VENV_PYTHON)) throw new PythonEnvMissingError();
  const args = "script" in source ? [path.join(PYTHON_TEST_DIR, source.script)] : ["-c", source.code];
  const child = spawn(VENV_PYTHON, [...args, ...(options.args ?? [])], {
    cwd: PYTHON_TEST_DIR,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1", ...options.env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  }).finally(() => clearTimeout(timer));
  return { exitCode, stdout, stderr, json: lastJsonLine<T>(stdout) };
}

/** Like runPython, but a non-zero exit or missing JSON fails with the script's own output. */
export async function runPythonJson<T = unknown>(source: PythonSource, options: RunPythonOptions = {}): Promise<T> {
  const run = await runPython<T>(source, options);
  if (run.exitCode !== 0 || run.json === undefined) {
    const name = "script" in source ? source.script : "inline script";
    throw new Error(`Python ${name} exited ${run.exitCode}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
  }
  return run.json;
}

function lastJsonLine<T>(stdout: string): T | undefined {
  const line = stdout.trimEnd().split("\n").pop();
  if (!line) return undefined;
  try {
    return JSON.parse(line) as T;
  } catch {
    return undefined;
  }
}
