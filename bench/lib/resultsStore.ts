import { mkdir, writeFile } from "node:fs/promises";
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

export function saveLatest(results: SectionResult[], run: { quick: boolean; machine: MachineInfo; durationSeconds: number }): Promise<string> {
  return writeJson("latest.json", { ...run, sections: results });
}
