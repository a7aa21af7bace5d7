// Runs the `docbatch` CLI as a real process (its bin launcher), the way a user's shell does.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Docbatch } from "./docbatchHost.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const CLI_BIN = path.join(repoRoot, "bin", "docbatch.mjs");

export interface CliRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the stderr seen so far once it matches. */
  waitForStderr(pattern: RegExp): Promise<string>;
  done: Promise<CliRun>;
}

/** Environment pointing the CLI at a test's docbatch (nothing inherited from the shell's own). */
export function cliEnv(docbatch: Docbatch): Record<string, string> {
  return {
    DOCBATCH_URL: docbatch.host.url,
    DOCBATCH_KEY: docbatch.apiKey,
    AZURE_STORAGE_CONNECTION_STRING: docbatch.azurite.connectionString,
  };
}

export function startCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): RunningCli {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !["DOCBATCH_URL", "DOCBATCH_KEY", "DOCBATCH_DATA", "AZURE_STORAGE_CONNECTION_STRING"].includes(name)),
  );
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...inherited, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.end();
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: (text: string) => void }[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    for (const waiter of waiters.filter((w) => w.pattern.test(stderr))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(stderr);
    }
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
  return {
    child,
    done,
    waitForStderr: (pattern) =>
      pattern.test(stderr)
        ? Promise.resolve(stderr)
        : new Promise((resolve, reject) => {
            waiters.push({ pattern, resolve });
            done.then((run) => reject(new Error(`the CLI ended (exit ${run.exitCode}) before stderr matched ${pattern}:\n${run.stderr}\n${run.stdout}`)), reject);
          }),
  };
}

/** Runs the CLI to its end. */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  return startCli(args, options).done;
}

/** An empty data folder, so no test reads the repo's own .local-data/docbatch.env. */
export function emptyDataDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "docbatch-cli-data-"));
}
