// Where the CLI finds docbatch: the environment first (DOCBATCH_URL, DOCBATCH_KEY,
// AZURE_STORAGE_CONNECTION_STRING, each on its own), then the data folder of a running
// `npm run local` (--data / DOCBATCH_DATA, else the repo's .local-data/).
import { readFileSync } from "node:fs";
import path from "node:path";
import { endpointsFor } from "../local-host/azurite.js";
import { DEFAULT_LOCAL_DATA_DIR, ENDPOINTS_FILE_NAME, readEndpointsFile, type LocalEndpoints } from "../local-host/endpointsFile.js";
import { UsageError } from "./exitCodes.js";

export interface Connection {
  url: string;
  key: string;
  /** Needed only to upload local folders. */
  storageConnectionString?: string;
  /** Where the values came from, for error messages. */
  origin: string;
}

export function resolveConnection(options: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Connection {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dataDir ?? env.DOCBATCH_DATA ?? DEFAULT_LOCAL_DATA_DIR);
  const saved = readEndpointsFile(dataDir) ?? fromLocalHostFiles(dataDir);
  const url = env.DOCBATCH_URL || saved?.DOCBATCH_URL;
  const key = env.DOCBATCH_KEY || saved?.DOCBATCH_KEY;
  if (!url || !key) {
    throw new UsageError(
      `No docbatch to talk to: set DOCBATCH_URL and DOCBATCH_KEY, or start \`npm run local\` (it writes ${path.join(dataDir, ENDPOINTS_FILE_NAME)}; ` +
        "with `npm run local -- --data DIR`, pass the same --data DIR here).",
    );
  }
  const fromEnv = Boolean(env.DOCBATCH_URL && env.DOCBATCH_KEY);
  checkServiceUrl(url, env.DOCBATCH_URL ? "DOCBATCH_URL" : `DOCBATCH_URL in ${path.join(dataDir, ENDPOINTS_FILE_NAME)}`);
  return {
    url: url.replace(/\/+$/, ""),
    key,
    storageConnectionString: env.AZURE_STORAGE_CONNECTION_STRING || saved?.AZURE_STORAGE_CONNECTION_STRING,
    origin: fromEnv ? "DOCBATCH_URL / DOCBATCH_KEY" : path.join(dataDir, ENDPOINTS_FILE_NAME),
  };
}

/**
 * A data folder of an `npm run local` that does not write docbatch.env (an older local host)
 * still says enough: the ports it keeps (local-host.json) and the key it generated
 * (local-secrets.json). Anything unreadable there means "not a local-host folder".
 */
function fromLocalHostFiles(dataDir: string): Partial<LocalEndpoints> | undefined {
  try {
    const ports = JSON.parse(readFileSync(path.join(dataDir, "local-host.json"), "utf8")) as { app?: number; blob?: number; queue?: number; table?: number };
    const secrets = JSON.parse(readFileSync(path.join(dataDir, "local-secrets.json"), "utf8")) as { DOCBATCH_API_KEYS?: string };
    const key = secrets.DOCBATCH_API_KEYS?.split(",")[0]?.trim();
    if (!ports.app || !key) return undefined;
    const storage = ports.blob && ports.queue && ports.table
      ? endpointsFor("127.0.0.1", { blob: ports.blob, queue: ports.queue, table: ports.table }).connectionString
      : undefined;
    return { DOCBATCH_URL: `http://127.0.0.1:${ports.app}`, DOCBATCH_KEY: key, AZURE_STORAGE_CONNECTION_STRING: storage };
  } catch {
    return undefined;
  }
}

/** How to set a value a shell would cut or misread: in single quotes. */
const QUOTE_HINT = "a shell cuts an unquoted value at the first ';' or '&', so set it in single quotes";

/** A docbatch URL the CLI can call, else one sentence saying what is wrong. */
export function checkServiceUrl(value: string, name: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new UsageError(`${name} '${shown(value)}' is not an http(s) URL; give it as https://host (${QUOTE_HINT}: export ${name.split(" ")[0]}='https://...').`);
  }
}

/**
 * A storage connection string the CLI can upload with, else one sentence saying what is wrong:
 * most often it was cut at its first ';' by an unquoted `export` (or by `source`-ing a file).
 */
export function checkStorageConnectionString(value: string): void {
  const parts = new Map<string, string>();
  for (const part of value.split(";").filter((piece) => piece.trim())) {
    const at = part.indexOf("=");
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  const fix = `${QUOTE_HINT}: export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...;BlobEndpoint=...'`;
  if (parts.get("usedevelopmentstorage") === "true") return;
  const endpoint = [...parts].find(([key]) => key.endsWith("endpoint"));
  if (endpoint && !isUrl(endpoint[1])) throw new UsageError(`AZURE_STORAGE_CONNECTION_STRING has ${endpoint[0]}='${shown(endpoint[1])}', which is not a URL (${fix}).`);
  const signed = parts.has("accountname") && parts.has("accountkey");
  const shared = parts.has("sharedaccesssignature") && [...parts.keys()].some((key) => key.endsWith("endpoint"));
  if (!signed && !shared) {
    const has = parts.size === 0 ? "nothing of a connection string" : `only ${[...parts.keys()].join(", ")}`;
    throw new UsageError(`AZURE_STORAGE_CONNECTION_STRING '${shown(value)}' is cut short: it has ${has} and no AccountName/AccountKey (${fix}).`);
  }
}

function isUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** A value as far as it is safe and short to show (a key never appears whole). */
function shown(value: string): string {
  const withoutSecrets = value.replace(/(AccountKey|SharedAccessSignature|sig)=[^;&]*/gi, "$1=***");
  return withoutSecrets.length > 80 ? `${withoutSecrets.slice(0, 77)}...` : withoutSecrets;
}

/** A container URL given on the command line: a URL, and a SAS not cut at its first '&'. */
export function checkContainerUrl(value: string, name: string): void {
  if (!isUrl(value)) throw new UsageError(`${name} '${shown(value)}' is not an http(s) URL of a container (${QUOTE_HINT}).`);
  const query = new URL(value).searchParams;
  if (query.size > 0 && !query.has("sig")) {
    throw new UsageError(`${name} '${shown(value)}' has a SAS without its signature (sig=): ${QUOTE_HINT}, e.g. docbatch analyze 'https://account.blob.core.windows.net/container?sv=...&sig=...'.`);
  }
}
