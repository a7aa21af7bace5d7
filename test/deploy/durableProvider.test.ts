// host.json names the Durable storage provider of the backend the deployment uses, written at
// package time (azure.yaml prepackage -> scripts/durable-host-json.mjs) from the same azd value
// the Bicep's durableBackend parameter gets.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const script = path.join(root, "scripts", "durable-host-json.mjs");
const hook = (await import(pathToFileURL(script).href)) as {
  DURABLE_PROVIDERS: Record<string, Record<string, unknown>>;
  DEFAULT_BACKEND: string;
  hostJsonFor(text: string, backend: string): string;
};
const read = (relative: string) => readFileSync(path.join(root, relative), "utf8");

/** Runs the hook as azd does (its environment's values as variables) on a copy; returns host.json. */
function packagedHostJson(env: Record<string, string>): { host: any; output: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "docbatch-hostjson-"));
  try {
    mkdirSync(path.join(dir, "scripts"));
    cpSync(script, path.join(dir, "scripts", "durable-host-json.mjs"));
    cpSync(path.join(root, "host.json"), path.join(dir, "host.json"));
    const output = execFileSync(process.execPath, [path.join(dir, "scripts", "durable-host-json.mjs")], { env: { PATH: process.env.PATH, ...env }, encoding: "utf8" });
    return { host: JSON.parse(readFileSync(path.join(dir, "host.json"), "utf8")), output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("host.json's Durable storage provider", () => {
  it("the backends are the ones infra/main.bicep allows, with the same default", () => {
    const main = read("infra/main.bicep");
    const allowed = /@allowed\(\[([^\]]*)\]\)\n@description\('Durable Functions backend[^\n]*\nparam durableBackend string = '([^']+)'/.exec(main);
    assert.ok(allowed, "durableBackend with @allowed and a default");
    assert.deepEqual([...allowed[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]).sort(), Object.keys(hook.DURABLE_PROVIDERS).sort());
    assert.equal(allowed[2], hook.DEFAULT_BACKEND);
    // One source of truth: the same azd value feeds the parameter and the hook.
    assert.match(read("infra/main.parameters.json"), /"durableBackend": \{ "value": "\$\{DOCBATCH_DURABLE_BACKEND=AzureStorage\}" \}/);
    assert.match(read("azure.yaml"), /prepackage:\n    posix:\n      shell: sh\n      run: node \.\/scripts\/durable-host-json\.mjs\n    windows:\n      shell: pwsh\n      run: node \.\/scripts\/durable-host-json\.mjs/);
  });

  it("AzureStorage (the default, also when unset): the committed host.json, provider AzureStorage", () => {
    const envs: Record<string, string>[] = [{}, { DOCBATCH_DURABLE_BACKEND: "" }, { DOCBATCH_DURABLE_BACKEND: "AzureStorage" }];
    for (const env of envs) {
      const { host } = packagedHostJson(env);
      assert.equal(host.extensions.durableTask.storageProvider.type, "AzureStorage");
      assert.deepEqual(host, JSON.parse(read("host.json")), "the committed host.json is the default package's");
    }
  });

  it("DurableTaskScheduler: azureManaged with the connection the Bicep sets, everything else unchanged", () => {
    const { host, output } = packagedHostJson({ DOCBATCH_DURABLE_BACKEND: "DurableTaskScheduler" });
    const provider = host.extensions.durableTask.storageProvider;
    assert.deepEqual(provider, { type: "azureManaged", connectionStringName: "DURABLE_TASK_SCHEDULER_CONNECTION_STRING" });
    assert.match(read("infra/app/functionApp.bicep"), new RegExp(`^\\s+${provider.connectionStringName}: 'Endpoint=\\$\\{durableTaskSchedulerEndpoint\\};Authentication=ManagedIdentity;ClientID=\\$\\{identityClientId\\}'$`, "m"));
    const committed = JSON.parse(read("host.json"));
    delete committed.extensions.durableTask.storageProvider;
    delete host.extensions.durableTask.storageProvider;
    assert.deepEqual(host, committed);
    assert.match(output, /'azureManaged'/);
  });

  it("no app setting overrides the provider: host.json is the one place it is named", () => {
    for (const file of ["infra/main.bicep", "infra/app/functionApp.bicep"]) {
      assert.doesNotMatch(read(file), /^\s+AzureFunctionsJobHost__extensions__durableTask__storageProvider/m, file);
    }
  });

  it("an unknown backend stops packaging with a sentence saying what to set", () => {
    assert.throws(
      () => packagedHostJson({ DOCBATCH_DURABLE_BACKEND: "Netherite" }),
      (error: { status: number; stderr: string }) => error.status === 1 && /DOCBATCH_DURABLE_BACKEND is 'Netherite'; use one of AzureStorage, DurableTaskScheduler/.test(error.stderr),
    );
  });

  it("says so when the last provision set up the other backend", () => {
    const { output } = packagedHostJson({ DOCBATCH_DURABLE_BACKEND: "DurableTaskScheduler", DURABLE_BACKEND: "AzureStorage" });
    assert.match(output, /last provision set up AzureStorage/);
  });
});
