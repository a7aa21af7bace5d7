import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/*
 * The local host runs one app per process, so every scenario runs in a child process of its
 * own: the parent spawns `node dist/bench/<script>.js --key value ...` and reads back one JSON
 * line. A fresh process also makes peak RSS (maxRSS) belong to that scenario alone.
 */

const RESULT_MARKER = "BENCH_RESULT ";
const DIST_BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface ScenarioOptions {
  /** Kill the child after this long and report a timeout instead of a result. */
  timeoutMs: number;
  /** Extra node flags, e.g. --cpu-prof or --max-old-space-size. */
  nodeFlags?: string[];
  env?: Record<string, string>;
}

export class ScenarioTimeout extends Error {}

/** Runs `dist/bench/<script>.js` with arguments and returns the JSON it reported. */
export function runScenario<T>(script: string, args: Record<string, string | number | boolean>, options: ScenarioOptions): Promise<T> {
  const argv = Object.entries(args).flatMap(([key, value]) => [`--${key}`, String(value)]);
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), path.join(DIST_BENCH, `${script}.js`), ...argv], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...options.env },
  });
  let stdout = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => (stdout += chunk));
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return reject(new ScenarioTimeout(`${script} ${argv.join(" ")} did not finish within ${Math.round(options.timeoutMs / 1000)} s`));
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARKER));
      if (!line) return reject(new Error(`${script} ${argv.join(" ")} exited (${code ?? signal}) without a result:\n${stdout.slice(-2000)}`));
      resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as T);
    });
  });
}

/** In the child: `--key value` pairs as a map. */
export function scenarioArgs(argv = process.argv.slice(2)): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) args.set(argv[i].slice(2), argv[i + 1]?.startsWith("--") || argv[i + 1] === undefined ? "true" : argv[++i]);
  }
  return args;
}

export function numberArg(args: Map<string, string>, name: string, fallback?: number): number {
  const raw = args.get(name);
  if (raw === undefined) {
    if (fallback === undefined) throw new Error(`missing --${name}`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got ${raw}`);
  return value;
}

/**
 * In the child: prints the result line and exits. Exiting explicitly matters: a finished
 * scenario must not wait for idle sockets or worker threads of the app it loaded.
 */
export function reportAndExit(result: unknown): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`, () => process.exit(0));
}

/** In the child: runs main, reports its result, or prints the failure and exits non-zero. */
export function scenarioMain(main: (args: Map<string, string>) => Promise<unknown>): void {
  main(scenarioArgs()).then(
    (result) => reportAndExit(result),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
