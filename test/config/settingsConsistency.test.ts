// Keeps the settings catalogue, the code, the README, local.settings.json.example and the Bicep in
// agreement, checks the roles the Bicep grants, and reads every Bicep file structurally (no
// compiler, no network): balanced brackets, module paths, pinned Azure Verified Modules, and the
// parameters passed to each module against what that module declares.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { settingCatalogue, readSettings } from "../../src/config/settings.js";
import {
  maskBicep,
  moduleReferences,
  outputNames,
  outputUses,
  paramDeclarations,
  type MaskedBicep,
} from "./bicepText.js";

const root = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/**
 * Settings the Bicep deliberately leaves unset in Azure. Keep this list short; each needs a reason.
 */
const optionalInAzure: Record<string, string> = {
  AzureWebJobsStorage: "a connection string carries the account key; Azure uses the identity-based AzureWebJobsStorage__* settings",
  DOCBATCH_OCR_WORKERS: "defaults to the instance's core count, which follows the chosen Flex instance memory",
  DOCUMENT_INTELLIGENCE_KEY: "the app's managed identity holds Cognitive Services User on the account; no key is stored",
  DOCBATCH_PUBLIC_URL: "defaults to https:// + WEBSITE_HOSTNAME, the app's own host name; set it through extraAppSettings when a gateway or custom domain fronts the app",
  WEBSITE_HOSTNAME: "Azure sets it on every app; an app setting cannot override it",
  DOCBATCH_LLM_API_KEY: "an Azure OpenAI upstream is reached with the managed identity (Cognitive Services OpenAI User); a key for another upstream goes in as a Key Vault reference through extraAppSettings",
};

/** Identity-based host storage settings only make sense in Azure, not with Azurite. */
const onlyInAzure = (name: string) => name.startsWith("AzureWebJobsStorage__");

/** Secrets: the Bicep must set them as Key Vault references, never as values. */
const secretSettings = ["DOCBATCH_API_KEYS", "DOCBATCH_ENCRYPTION_KEY", "DOCBATCH_WEBHOOK_SECRET"];

const requiredRoles: Record<string, string> = {
  "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
  "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
  "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
  "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
  "Cognitive Services User": "a97b65f3-24c7-4388-baec-2e87135dc908",
  "Cognitive Services OpenAI User": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
  "Durable Task Data Contributor": "0ad04412-c4d5-4796-b79c-f76d14c8d402",
};

interface AvmFixture {
  modules: Record<string, { commit: string; params: string[]; required: string[]; outputs: string[] }>;
}

const read = (relative: string) => readFileSync(path.join(root, relative), "utf8");
const bicepFiles = listFiles(path.join(root, "infra"), ".bicep");
const bicep = new Map<string, MaskedBicep>(bicepFiles.map((file) => [file, maskBicep(readFileSync(file, "utf8"))]));
const wholeWord = (name: string) => new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`);

describe("settings", () => {
  const settingsRead = settingsTheCodeReads();
  const allSettings = [...new Set([...settingCatalogue.map((s) => s.name), ...settingsRead.keys()])].sort();

  it("finds the settings the code reads (the scan itself works)", () => {
    // appStorage.ts reads these through `env.X`; the zod schema of settings.ts names the rest.
    for (const name of ["AzureWebJobsStorage", "AzureWebJobsStorage__blobServiceUri", "DOCBATCH_API_KEYS"]) {
      assert.ok(settingsRead.has(name), `the scan of src/ should find ${name}`);
    }
  });

  it("every setting the code reads is in the catalogue", () => {
    const catalogued = new Set(settingCatalogue.map((s) => s.name));
    const missing = [...settingsRead].filter(([name]) => !catalogued.has(name)).map(([name, where]) => `${name} (${where})`);
    assert.deepEqual(missing, [], "add these to settingCatalogue in src/config/settings.ts");
  });

  it("every setting is documented in the README configuration table", () => {
    const readme = read("README.md");
    const section = between(readme, "<!-- configuration:start -->", "<!-- configuration:end -->");
    const missing = allSettings.filter((name) => !wholeWord(name).test(section));
    assert.deepEqual(missing, [], "run `npm run build && node scripts/settings-table.mjs --write`");
  });

  it("the README table is the one scripts/settings-table.mjs prints from the catalogue", () => {
    const generated = execFileSync(process.execPath, [path.join(root, "scripts", "settings-table.mjs")], { encoding: "utf8" }).trim();
    const section = between(read("README.md"), "<!-- configuration:start -->", "<!-- configuration:end -->");
    assert.ok(section.includes(generated), "run `npm run build && node scripts/settings-table.mjs --write`");
  });

  it("fixed values the Bicep sets equal the catalogue's defaults", () => {
    const defaults = new Map(settingCatalogue.filter((s) => s.default !== undefined).map((s) => [s.name, s.default!]));
    const drift: string[] = [];
    for (const file of bicepFiles) {
      for (const m of bicep.get(file)!.uncommented.matchAll(/^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*:[ \t]*'([^'$]*)'[ \t]*$/gm)) {
        const expected = defaults.get(m[1]!);
        if (expected !== undefined && expected !== m[2]) drift.push(`${m[1]}: '${m[2]}' in Bicep, '${expected}' in the catalogue`);
      }
    }
    assert.deepEqual(drift, []);
  });

  it("every setting has a working local value in local.settings.json.example", () => {
    const example = JSON.parse(read("local.settings.json.example")) as { IsEncrypted: boolean; Values: Record<string, string> };
    assert.equal(example.IsEncrypted, false);
    assert.equal(example.Values.FUNCTIONS_WORKER_RUNTIME, "node");
    assert.equal(example.Values.AzureWebJobsStorage, "UseDevelopmentStorage=true");
    for (const [name, value] of Object.entries(example.Values)) assert.equal(typeof value, "string", `${name} must be a string`);
    const missing = allSettings.filter((name) => !onlyInAzure(name) && !(name in example.Values));
    assert.deepEqual(missing, []);
    const azureOnly = Object.keys(example.Values).filter(onlyInAzure);
    assert.deepEqual(azureOnly, [], "identity-based storage settings would override UseDevelopmentStorage locally");

    // The values really work: docbatch accepts them and they mean what local development needs.
    const settings = readSettings(example.Values);
    assert.ok(settings.apiKeys.length > 0, "a sample API key");
    assert.equal(Buffer.from(settings.encryptionKey ?? "", "base64").length, 32, "the encryption key decodes to 32 bytes");
    assert.equal(settings.allowLoopbackHttp, true, "Azurite is plain http on loopback");
    assert.equal(settings.documentIntelligence, undefined, "no cloud endpoint by default");
  });

  it("the Bicep sets every setting as an app setting, except the deliberately optional ones", () => {
    const keys = new Set(bicepFiles.flatMap((file) => objectKeys(bicep.get(file)!.uncommented)));
    const missing = allSettings.filter((name) => !keys.has(name) && !(name in optionalInAzure));
    assert.deepEqual(missing, []);
    const stale = Object.keys(optionalInAzure).filter((name) => !allSettings.includes(name));
    assert.deepEqual(stale, [], "optional names that are no settings any more");
    const setAnyway = Object.keys(optionalInAzure).filter((name) => keys.has(name));
    assert.deepEqual(setAnyway, [], "listed as optional but the Bicep sets them: drop them from the list");
  });

  it("secrets reach the app as Key Vault references", () => {
    for (const name of secretSettings) {
      const assignments = bicepFiles.flatMap((file) =>
        [...bicep.get(file)!.uncommented.matchAll(new RegExp(`^[ \\t]*'?${name}'?[ \\t]*:([^\\n]*)$`, "gm"))].map((m) => m[1]!.trim()),
      );
      assert.ok(assignments.length > 0, `${name} is set`);
      for (const value of assignments) assert.match(value, /^'@Microsoft\.KeyVault\(SecretUri=\$\{[^}]+\}\)'$/, `${name} = ${value}`);
    }
    const app = read("infra/app/functionApp.bicep");
    assert.match(app, /keyVaultAccessIdentityResourceId:\s*identityResourceId/, "references resolve with the user-assigned identity");
  });

  it("the encryption key derived at provisioning decodes to exactly 32 bytes", () => {
    // main.bicep: base64(replace(guid(seed, ...), '-', '')): a UUID without dashes is 32 ASCII characters.
    const main = read("infra/main.bicep");
    assert.match(main, /derivedEncryptionKey = base64\(replace\(guid\(secretSeed, '[^']+'\), '-', ''\)\)/);
    const uuidWithoutDashes = crypto.randomUUID().replaceAll("-", "");
    assert.equal(Buffer.from(Buffer.from(uuidWithoutDashes).toString("base64"), "base64").length, 32);
  });
});

describe("roles", () => {
  const guids = new Set(
    bicepFiles.flatMap((file) => [...bicep.get(file)!.uncommented.matchAll(/'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/g)].map((m) => m[1]!)),
  );

  for (const [role, id] of Object.entries(requiredRoles)) {
    it(`the Bicep assigns ${role}`, () => {
      assert.ok(guids.has(id), `${role} (${id}) is not in infra/`);
      const file = bicepFiles.find((f) => bicep.get(f)!.uncommented.includes(`'${id}'`))!;
      const text = bicep.get(file)!.uncommented;
      assert.match(text, /Microsoft\.Authorization\/roleAssignments@/);
      assert.match(text, /subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', /);
    });
  }
});

describe("Bicep structure", () => {
  const avm = JSON.parse(read("test/config/avmModules.json")) as AvmFixture;

  it("finds the Bicep files", () => {
    const names = bicepFiles.map((file) => path.relative(root, file).replaceAll(path.sep, "/"));
    for (const expected of ["infra/main.bicep", "infra/app/functionApp.bicep", "infra/app/storage.bicep", "infra/app/roles.bicep"]) {
      assert.ok(names.includes(expected), expected);
    }
  });

  for (const file of bicepFiles) {
    const name = path.relative(root, file).replaceAll(path.sep, "/");
    it(`${name}: brackets, strings and comments are balanced`, () => {
      assert.deepEqual(bicep.get(file)!.errors, []);
    });

    it(`${name}: modules exist, AVM references are pinned, parameters and outputs match`, () => {
      const source = bicep.get(file)!;
      const modules = moduleReferences(source);
      const bySymbol = new Map<string, { params: string[]; required: string[]; outputs: string[] }>();
      for (const module of modules) {
        const where = `${name}:${module.line} module ${module.symbol}`;
        let target: { params: string[]; required: string[]; outputs: string[] };
        if (module.path.startsWith("br/") || module.path.startsWith("br:") || module.path.startsWith("ts")) {
          const pinned = /^br\/public:(avm\/res\/[a-z0-9-]+(?:\/[a-z0-9-]+)+:\d+\.\d+\.\d+)$/.exec(module.path);
          assert.ok(pinned, `${where}: '${module.path}' is not br/public:avm/res/...:<major.minor.patch>`);
          const known = avm.modules[pinned[1]!];
          assert.ok(known, `${where}: ${pinned[1]} is not in test/config/avmModules.json (read its main.bicep at that version and add it)`);
          target = known;
        } else {
          const targetFile = path.resolve(path.dirname(file), module.path);
          assert.ok(existsSync(targetFile), `${where}: ${module.path} does not exist`);
          const targetSource = bicep.get(targetFile) ?? maskBicep(readFileSync(targetFile, "utf8"));
          const declared = paramDeclarations(targetSource);
          target = {
            params: declared.map((p) => p.name),
            required: declared.filter((p) => p.required).map((p) => p.name),
            outputs: outputNames(targetSource),
          };
        }
        const unknown = module.params.filter((p) => !target.params.includes(p));
        assert.deepEqual(unknown, [], `${where}: parameters the module does not declare`);
        const missing = target.required.filter((p) => !module.params.includes(p));
        assert.deepEqual(missing, [], `${where}: required parameters not passed`);
        bySymbol.set(module.symbol, target);
      }
      for (const use of outputUses(source)) {
        const target = bySymbol.get(use.symbol);
        if (!target) continue; // a resource's outputs, or not a module
        assert.ok(target.outputs.includes(use.output), `${name}: ${use.symbol}.outputs.${use.output} is not an output of that module`);
      }
    });
  }

  it("main.bicep is the azd entry point: subscription scope, tags, parameters mapped", () => {
    const main = bicep.get(path.join(root, "infra", "main.bicep"))!;
    assert.match(main.uncommented, /^targetScope = 'subscription'$/m);
    assert.match(main.uncommented, /'azd-env-name': environmentName/);
    assert.match(main.uncommented, /resource rg 'Microsoft\.Resources\/resourceGroups@[^']+' = \{[^]*?tags: tags/);
    assert.match(read("infra/app/functionApp.bicep"), /'azd-service-name': 'api'/);

    const parameters = JSON.parse(read("infra/main.parameters.json")) as { parameters: Record<string, { value: unknown }> };
    const declared = paramDeclarations(main);
    const names = declared.map((p) => p.name);
    const undeclared = Object.keys(parameters.parameters).filter((p) => !names.includes(p));
    assert.deepEqual(undeclared, [], "main.parameters.json sets parameters main.bicep does not declare");
    const unmapped = declared.filter((p) => p.required && !p.azdGenerated && !(p.name in parameters.parameters)).map((p) => p.name);
    assert.deepEqual(unmapped, [], "required parameters azd cannot fill");
    for (const env of ["${AZURE_ENV_NAME}", "${AZURE_LOCATION}", "${AZURE_PRINCIPAL_ID}"]) {
      assert.ok(Object.values(parameters.parameters).some((p) => p.value === env), `${env} is mapped`);
    }
  });

  it("azure.yaml deploys this folder as the `api` function service and its hooks exist", () => {
    const yaml = read("azure.yaml");
    assert.match(yaml, /^services:\n  api:\n(?:    .*\n)*?    project: \.\n/m);
    assert.match(yaml, /^    host: function$/m);
    assert.match(yaml, /^    language: ts$/m);
    for (const hook of yaml.matchAll(/run: (\.\/\S+)/g)) assert.ok(existsSync(path.join(root, hook[1]!)), `${hook[1]} exists`);
  });
});

/** Setting names the source reads: env.X / env["X"] / process.env..., %X% binding expressions, zod schema keys. */
function settingsTheCodeReads(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /\benv\??\.([A-Za-z_][A-Za-z0-9_]*)/g,
    /\benv\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\]/g,
    /["'`]%([A-Za-z_][A-Za-z0-9_]*)%["'`]/g,
  ];
  const sources = [...listFiles(path.join(root, "src"), ".ts"), path.join(root, "host.json")];
  for (const file of sources) {
    const text = withoutComments(readFileSync(file, "utf8"));
    const where = path.relative(root, file).replaceAll(path.sep, "/");
    for (const pattern of patterns) for (const m of text.matchAll(pattern)) if (!found.has(m[1]!)) found.set(m[1]!, where);
  }
  // readSettings() reads the keys of its zod schema.
  const settingsSource = withoutComments(read("src/config/settings.ts"));
  const schema = /const settingsSchema = z\.object\(\{([^]*?)\n\}\);/.exec(settingsSource);
  assert.ok(schema, "settingsSchema in src/config/settings.ts");
  for (const m of schema[1]!.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*):/gm)) if (!found.has(m[1]!)) found.set(m[1]!, "src/config/settings.ts");
  return found;
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[^]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** Every key written as `name:` or `'name':` at the start of a line. */
function objectKeys(text: string): string[] {
  return [...text.matchAll(/^[ \t]*'?([A-Za-z_][A-Za-z0-9_]*)'?[ \t]*:/gm)].map((m) => m[1]!);
}

function between(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  assert.ok(from >= 0 && to > from, `markers ${start} … ${end}`);
  return text.slice(from + start.length, to);
}

function listFiles(dir: string, extension: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? listFiles(full, extension) : full.endsWith(extension) ? [full] : [];
    })
    .sort();
}

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "src"))) return dir;
    if (path.dirname(dir) === dir) throw new Error("repository root not found");
  }
}
