import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SectionResult } from "./sectionResult.js";

/** bench/results in the source tree (this file runs from dist/bench/lib). */
export const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../bench/results");

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  totalMemoryMb: number;
  node: string;
  platform: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  return {
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
  };
}

async function writeJson(name: string, value: unknown): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, name);
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}

export function saveSection(result: SectionResult, run: { quick: boolean; machine: MachineInfo }): Promise<string> {
  return writeJson(`${result.section}.json`, { ...run, ...result });
}

/**
 * Writes latest.json. A partial run (`--only`) replaces just its sections, so the file always
 * holds the newest figures of every section; returns the sections it now holds.
 */
export async function saveLatest(
  results: SectionResult[],
  run: { quick: boolean; machine: MachineInfo; durationSeconds: number },
): Promise<SectionResult[]> {
  let earlier: SectionResult[] = [];
  try {
    earlier = (JSON.parse(await readFile(path.join(RESULTS_DIR, "latest.json"), "utf8")) as { sections?: SectionResult[] }).sections ?? [];
  } catch {
    earlier = [];
  }
  const fresh = new Set(results.map((result) => result.section));
  const sections = [...earlier.filter((section) => !fresh.has(section.section)), ...results];
  await writeJson("latest.json", { ...run, sections });
  return sections;
}
