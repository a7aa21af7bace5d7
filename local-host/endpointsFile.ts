// The file through which `npm run local` tells other tools (the `docbatch` CLI) where it serves:
// `<data folder>/docbatch.env`, the same KEY=VALUE lines it prints on stdout, written when the app
// is up and removed when it stops. Without --data the folder is the repo's `.local-data/`.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ENDPOINTS_FILE_NAME = "docbatch.env";

/** Where `npm run local` keeps its files when it is given no --data folder. */
export const DEFAULT_LOCAL_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", ".local-data");

export interface LocalEndpoints {
  DOCBATCH_URL: string;
  DOCBATCH_KEY: string;
  AZURE_STORAGE_CONNECTION_STRING: string;
}

/** Lines of KEY=VALUE, plus the writer's process id so that only it removes the file. */
export function writeEndpointsFile(dir: string, endpoints: LocalEndpoints): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, ENDPOINTS_FILE_NAME);
  const lines = Object.entries(endpoints).map(([name, value]) => `${name}=${value}`);
  // It holds the API key: readable by its owner only.
  writeFileSync(file, `# written by npm run local (pid ${process.pid}); removed when it stops\n${lines.join("\n")}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Removes the file if this process wrote it (another run may have taken the folder since). */
export function removeEndpointsFile(dir: string): void {
  const file = path.join(dir, ENDPOINTS_FILE_NAME);
  try {
    if (readFileSync(file, "utf8").includes(`(pid ${process.pid})`)) rmSync(file);
  } catch {
    // Already gone.
  }
}

/** KEY=VALUE lines of a docbatch.env; comments and blank lines ignored; undefined when absent. */
export function readEndpointsFile(dir: string): Partial<LocalEndpoints> | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, ENDPOINTS_FILE_NAME), "utf8");
  } catch {
    return undefined;
  }
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) values[match[1]] = match[2];
  }
  return values as Partial<LocalEndpoints>;
}
