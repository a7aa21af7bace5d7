/**
 * `npm run bench [-- --quick] [-- --only orchestration|storage|storageCost|throughput|analyzers|reader|uploadBatch|openaiBatch]`
 *
 * Runs the benchmark sections in order, prints a table per section with its ratios and notes,
 * and saves bench/results/<section>.json, bench/results/latest.json (with the machine) and
 * bench/results/latest.md (the same tables in Markdown, for the README). Asserts nothing:
 * targets missed are reported, not failed.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { machineInfo, RESULTS_DIR, saveLatest, saveSection } from "./lib/resultsStore.js";
import type { SectionResult } from "./lib/sectionResult.js";
import { renderMarkdownTable, renderTable } from "./lib/table.js";
import { runOrchestrationBenchmark } from "./sections/orchestration.js";
import { runStorageBenchmark } from "./sections/storage.js";
import { runStorageCostBenchmark } from "./sections/storageCost.js";
import { runThroughputBenchmark } from "./sections/throughput.js";
import { runOpenAiBatchBenchmark } from "./sections/openaiBatch.js";
import { runUploadBatchBenchmark } from "./sections/uploadBatch.js";
import { runReaderBenchmark } from "./sections/reader.js";

type SectionRunner = (options: { quick: boolean }) => Promise<SectionResult | undefined>;

const here = path.dirname(fileURLToPath(import.meta.url));

/** bench/analyzers.ts is another engineer's; it runs as the fourth section when it exists. */
const runAnalyzers: SectionRunner = async ({ quick }) => {
  const file = path.join(here, "analyzers.js");
  if (!existsSync(file)) {
    console.log("(bench/analyzers.ts not present: analyzers section skipped)");
    return undefined;
  }
  const module = (await import(pathToFileURL(file).href)) as { runAnalyzerBenchmark?: (options: { quick: boolean }) => Promise<unknown> };
  if (!module.runAnalyzerBenchmark) throw new Error("bench/analyzers.ts exports no runAnalyzerBenchmark");
  const result = await module.runAnalyzerBenchmark({ quick });
  return asSectionResult(result);
};

const SECTIONS: Record<string, SectionRunner> = {
  orchestration: runOrchestrationBenchmark,
  storage: runStorageBenchmark,
  storageCost: runStorageCostBenchmark,
  throughput: runThroughputBenchmark,
  analyzers: runAnalyzers,
  reader: runReaderBenchmark,
  uploadBatch: runUploadBatchBenchmark,
  openaiBatch: runOpenAiBatchBenchmark,
};

function parseArgs(argv: string[]): { quick: boolean; only: string[] } {
  const quick = argv.includes("--quick");
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--only") only.push(...(argv[++i] ?? "").split(","));
    else if (argv[i].startsWith("--only=")) only.push(...argv[i].slice("--only=".length).split(","));
  }
  const unknown = only.filter((name) => !(name in SECTIONS));
  if (unknown.length) throw new Error(`Unknown section(s) ${unknown.join(", ")}; choose from ${Object.keys(SECTIONS).join(", ")}`);
  return { quick, only: only.length ? only : Object.keys(SECTIONS) };
}

/** Accepts the analyzers section's result whether or not it is already shaped as a SectionResult. */
function asSectionResult(result: unknown): SectionResult {
  const candidate = result as Partial<SectionResult> | undefined;
  if (candidate && Array.isArray(candidate.tables)) {
    return { section: "analyzers", notes: [], ...candidate, tables: candidate.tables } as SectionResult;
  }
  // A plain figures object: shown as one "figure / value" table, nested keys joined with dots.
  const rows: [string, string | number][] = [];
  const flatten = (value: unknown, prefix: string) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key);
    } else rows.push([prefix, typeof value === "number" || typeof value === "string" ? value : JSON.stringify(value)]);
  };
  flatten(result, "");
  return { section: "analyzers", tables: [{ title: "Offline analyzers (bench/analyzers.ts)", headers: ["figure", "value"], rows }], notes: [], data: result };
}

function print(result: SectionResult): void {
  console.log(`\n=== ${result.section} ===`);
  for (const table of result.tables) console.log(`\n${table.title}\n${renderTable(table.headers, table.rows)}`);
  if (result.tables.length === 0) console.log(JSON.stringify(result.data, null, 2).slice(0, 4000));
  if (result.notes.length) console.log(`\n${result.notes.map((note) => `- ${note}`).join("\n")}`);
}

function markdown(results: SectionResult[], run: { quick: boolean; machine: ReturnType<typeof machineInfo> }): string {
  const { machine } = run;
  const lines = [`Measured ${machine.date.slice(0, 10)}${run.quick ? " (quick mode)" : ""} on ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}.`];
  for (const result of results) {
    lines.push("", `#### ${result.section}`);
    for (const table of result.tables) lines.push("", `${table.title}:`, "", renderMarkdownTable(table.headers, table.rows));
    if (result.notes.length) lines.push("", ...result.notes.map((note) => `- ${note}`));
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const machine = machineInfo();
  const started = performance.now();
  console.log(`docbatch benchmarks${quick ? " (quick)" : ""}: ${only.join(", ")} on ${machine.cores} cores, Node ${machine.node}`);
  const results: SectionResult[] = [];
  const failures: string[] = [];
  for (const name of only) {
    const sectionStarted = performance.now();
    try {
      const result = await SECTIONS[name]({ quick });
      if (!result) continue;
      print(result);
      console.log(`(${name}: ${((performance.now() - sectionStarted) / 1000).toFixed(0)} s)`);
      await saveSection(result, { quick, machine });
      results.push(result);
    } catch (error) {
      failures.push(name);
      console.error(`\nSection ${name} failed:`, error);
    }
  }
  const durationSeconds = (performance.now() - started) / 1000;
  const allSections = await saveLatest(results, { quick, machine, durationSeconds });
  await writeFile(path.join(RESULTS_DIR, "latest.md"), markdown(allSections, { quick, machine }));
  console.log(`\nResults in ${path.relative(process.cwd(), RESULTS_DIR) || RESULTS_DIR} (${durationSeconds.toFixed(0)} s in all).`);
  if (failures.length) {
    console.error(`Failed sections: ${failures.join(", ")}`);
    process.exitCode = 1;
  }
}

await main();
// Analyzer workers or idle sockets must not keep a finished run alive.
process.exit();
