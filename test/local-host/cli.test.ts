import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../local-host/cli.js");

test("npm run local prints the three lines, serves /health and stops on SIGTERM", async () => {
  const env = { ...process.env };
  delete env.DOCBATCH_API_KEYS;
  delete env.DOCBATCH_ENCRYPTION_KEY;
  const child = spawn(process.execPath, [cli], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const values: Record<string, string> = {};
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) {
      const eq = line.indexOf("=");
      if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
      if (Object.keys(values).length === 3) break;
    }
    assert.deepEqual(Object.keys(values).sort(), ["AZURE_STORAGE_CONNECTION_STRING", "DOCBATCH_KEY", "DOCBATCH_URL"], stderr);
    assert.match(values.DOCBATCH_URL, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(values.DOCBATCH_KEY.length >= 16);
    assert.match(values.AZURE_STORAGE_CONNECTION_STRING, /BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
    const health = await fetch(`${values.DOCBATCH_URL}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { storage: { reachable: boolean } }).storage.reachable, true);
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal(await exited, 0, stderr);
});
