import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface GeneratedSettings {
  DOCBATCH_API_KEYS: string;
  DOCBATCH_ENCRYPTION_KEY: string;
}

/**
 * The secrets a local run needs: taken from the environment when set, else generated; with a
 * data folder, generated values are kept there so a restarted app still accepts the same key
 * and can decrypt what it stored.
 */
export function localSecrets(env: NodeJS.ProcessEnv, dataDir?: string): GeneratedSettings {
  const file = dataDir ? path.join(dataDir, "local-secrets.json") : undefined;
  const saved: Partial<GeneratedSettings> = file && existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const generated: GeneratedSettings = {
    DOCBATCH_API_KEYS: saved.DOCBATCH_API_KEYS ?? randomBytes(24).toString("base64url"),
    DOCBATCH_ENCRYPTION_KEY: saved.DOCBATCH_ENCRYPTION_KEY ?? randomBytes(32).toString("base64"),
  };
  if (file) {
    mkdirSync(dataDir!, { recursive: true });
    writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  }
  return {
    DOCBATCH_API_KEYS: env.DOCBATCH_API_KEYS || generated.DOCBATCH_API_KEYS,
    DOCBATCH_ENCRYPTION_KEY: env.DOCBATCH_ENCRYPTION_KEY || generated.DOCBATCH_ENCRYPTION_KEY,
  };
}
