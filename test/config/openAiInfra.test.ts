// The optional Azure OpenAI upstream in infra/: a new account with a model deployment, or an
// existing account and its deployment; the Cognitive Services OpenAI User role for the app's
// identity; and the DOCBATCH_LLM_* app settings derived from the account and the deployment.
// No Bicep compiler here: the checks read the Bicep text, evaluate the few expressions that
// compute the settings (the rate limits, the endpoint), and feed the result to docbatch's own
// settings reader and upstream authentication.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readSettings } from "../../src/config/settings.js";
import { COGNITIVE_SERVICES_SCOPE, upstreamAuth } from "../../src/llm/upstreamAuth.js";
import { maskBicep, moduleReferences, outputNames, paramDeclarations, topLevelKeys, matchingClose } from "./bicepText.js";

const root = findRoot(path.dirname(fileURLToPath(import.meta.url)));
const read = (relative: string) => readFileSync(path.join(root, relative), "utf8");
const main = maskBicep(read("infra/main.bicep"));
const account = maskBicep(read("infra/app/openAi.bicep"));
const access = maskBicep(read("infra/app/openAiAccess.bicep"));

const openAiUserRoleId = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd";

/** The expression of `var name = ...` (one line). */
function bicepVar(source: { uncommented: string }, name: string): string {
  const match = new RegExp(`^var ${name} = (.+)$`, "m").exec(source.uncommented);
  assert.ok(match, `var ${name} is declared`);
  return match[1]!.trim();
}

/** `a || b || ...` where each term is `startsWith(model, 'x')` or `model == 'x'`. */
function modelTest(expression: string): (model: string) => boolean {
  const terms = expression.split("||").map((term) => term.trim());
  const tests = terms.map((term) => {
    const prefix = /^startsWith\(model, '([^']+)'\)$/.exec(term);
    if (prefix) return (model: string) => model.startsWith(prefix[1]!);
    const equal = /^model == '([^']+)'$/.exec(term);
    if (equal) return (model: string) => model === equal[1];
    throw new Error(`unexpected term in a model test: ${term}`);
  });
  return (model) => tests.some((test) => test(model));
}

/** The limits openAiAccess.bicep gives a deployment, computed as its expressions say. */
function limitsFromBicep(options: { model: string; capacity: number; requestsPerCapacityUnit?: number }) {
  assert.equal(bicepVar(access, "model"), "toLower(modelDeployment.properties.model.name)");
  assert.equal(bicepVar(access, "capacity"), "modelDeployment.sku.capacity");
  const model = options.model.toLowerCase();
  const older = modelTest(bicepVar(access, "olderModel"))(model);
  const o1 = modelTest(bicepVar(access, "o1Model"))(model);
  const tokens = /^o1Model \? (\d+) : (\d+)$/.exec(bicepVar(access, "tokensPerUnit"));
  assert.ok(tokens, "tokensPerUnit = o1Model ? N : M");
  const requests = /^requestsPerCapacityUnit > 0 \? requestsPerCapacityUnit : \(olderModel \? (\d+) : (\d+)\)$/.exec(bicepVar(access, "requestsPerUnit"));
  assert.ok(requests, "requestsPerUnit = override, else by model family");
  const tokensPerUnit = Number(o1 ? tokens[1] : tokens[2]);
  const override = options.requestsPerCapacityUnit ?? 0;
  const requestsPerUnit = override > 0 ? override : Number(older ? requests[1] : requests[2]);
  assert.match(access.uncommented, /^output requestsPerMinute int = capacity \* requestsPerUnit$/m);
  assert.match(access.uncommented, /^output tokensPerMinute int = capacity \* tokensPerUnit$/m);
  return { requestsPerMinute: options.capacity * requestsPerUnit, tokensPerMinute: options.capacity * tokensPerUnit };
}

/** DOCBATCH_LLM_ENDPOINT as openAiAccess.bicep builds it from the account's endpoint. */
function endpointFromBicep(accountEndpoint: string): string {
  assert.equal(bicepVar(access, "accountEndpoint"), "account.properties.endpoint");
  assert.equal(
    bicepVar(access, "endpointWithSlash"),
    "endsWith(accountEndpoint, '/') ? accountEndpoint : concat(accountEndpoint, '/')",
  );
  const output = /^output endpoint string = '\$\{endpointWithSlash\}([^']*)'$/m.exec(access.uncommented);
  assert.ok(output, "output endpoint = '${endpointWithSlash}...'");
  const withSlash = accountEndpoint.endsWith("/") ? accountEndpoint : `${accountEndpoint}/`;
  return `${withSlash}${output[1]}`;
}

/** The value text of `key: value` inside the object assigned to `var name = {`. */
function objectEntry(source: { masked: string; uncommented: string; errors: string[] }, objectVar: string, key: string): string {
  const at = source.uncommented.search(new RegExp(`^var ${objectVar} = \\{`, "m"));
  assert.ok(at >= 0, `var ${objectVar} = { ... }`);
  const open = source.masked.indexOf("{", at);
  const keyAt = topLevelKeys(source, open).get(key);
  assert.ok(keyAt !== undefined, `${objectVar} sets ${key}`);
  const line = source.uncommented.slice(keyAt, source.uncommented.indexOf("\n", keyAt));
  return line.slice(line.indexOf(":") + 1).trim();
}

function moduleBody(source: { masked: string; uncommented: string }, symbol: string): string {
  const at = source.uncommented.search(new RegExp(`^module ${symbol} '`, "m"));
  assert.ok(at >= 0, `module ${symbol}`);
  const open = source.masked.indexOf("{", at);
  return source.uncommented.slice(at, matchingClose(source.masked, open));
}

describe("Azure OpenAI in infra/", () => {
  it("main.bicep offers none / new / existing, none by default, and azd maps every parameter", () => {
    assert.match(main.uncommented, /@allowed\(\['none', 'new', 'existing'\]\)\n@description\([^\n]*\)\nparam openAiMode string = 'none'/);
    assert.match(main.uncommented, /@allowed\(\['GlobalStandard', 'DataZoneStandard', 'Standard'\]\)\n@description\([^\n]*\)\nparam openAiDeploymentSku string = 'GlobalStandard'/);
    const names = paramDeclarations(main).map((p) => p.name);
    const ours = names.filter((name) => /^(openAi|existingOpenAi|llm)/.test(name) || name.startsWith("extraction"));
    for (const expected of [
      "openAiMode",
      "existingOpenAiResourceId",
      "openAiLocation",
      "openAiDeploymentName",
      "openAiModelName",
      "openAiModelVersion",
      "openAiDeploymentSku",
      "openAiDeploymentCapacity",
      "openAiRequestsPerCapacityUnit",
    ]) {
      assert.ok(ours.includes(expected), `param ${expected}`);
    }
    const parameters = (JSON.parse(read("infra/main.parameters.json")) as { parameters: Record<string, { value: string }> }).parameters;
    const unmapped = ours.filter((name) => !(name in parameters));
    assert.deepEqual(unmapped, [], "main.parameters.json maps them to azd environment values");
    assert.equal(parameters.openAiMode!.value, "${AZURE_OPENAI_MODE=none}");
  });

  it("a new account is kind OpenAI, token auth only, with the deployment built from the parameters", () => {
    const call = moduleBody(main, "openAi");
    assert.match(call, /^module openAi 'app\/openAi\.bicep' = if \(openAiMode == 'new'\) \{/);
    for (const [param, value] of [
      ["deploymentName", "openAiDeploymentName"],
      ["modelName", "openAiModelName"],
      ["modelVersion", "openAiModelVersion"],
      ["deploymentSku", "openAiDeploymentSku"],
      ["capacity", "openAiDeploymentCapacity"],
      ["name", "openAiAccountName"],
    ]) {
      assert.match(call, new RegExp(`\\n    ${param}: ${value}\\n`), `${param}: ${value}`);
    }
    const avm = moduleReferences(account).find((m) => m.symbol === "account");
    assert.equal(avm?.path, "br/public:avm/res/cognitive-services/account:0.18.0");
    const body = moduleBody(account, "account");
    assert.match(body, /\n    kind: 'OpenAI'\n/);
    assert.match(body, /\n    disableLocalAuth: true\n/);
    assert.match(body, /\n    customSubDomainName: name\n/, "a custom subdomain: Entra ID tokens need it");
    // The AVM deploymentType: { name, model: { format, name, version }, sku: { name, capacity } }.
    assert.match(
      body,
      /deployments: \[\n {6}\{\n {8}name: deploymentName\n {8}model: \{\n {10}format: 'OpenAI'\n {10}name: modelName\n {10}version: modelVersion\n {8}\}\n {8}sku: \{\n {10}name: deploymentSku\n {10}capacity: capacity\n {8}\}\n {6}\}\n {4}\]/,
    );
  });

  it("the app's identity gets Cognitive Services OpenAI User on the new or existing account", () => {
    const call = moduleBody(main, "openAiAccess");
    assert.match(call, /= if \(useOpenAi\) \{/);
    assert.equal(bicepVar(main, "useOpenAi"), "openAiMode != 'none'");
    assert.match(call, /\n  scope: resourceGroup\(openAiSubscriptionId, openAiResourceGroupName\)\n/);
    assert.match(call, /\n    accountName: openAiAccountName\n/);
    assert.match(call, /\n    principalId: identity\.outputs\.principalId\n/);
    assert.match(call, /dependsOn: \[\n\s+openAi\n\s+\]/, "a new account exists before the role and the reads");
    // An existing account is named by its resource id: /subscriptions/{s}/resourceGroups/{g}/providers/.../accounts/{name}.
    assert.match(main.uncommented, /var openAiSubscriptionId = openAiMode == 'existing'\n\s+\? split\(existingOpenAiResourceId, '\/'\)\[2\]/);
    assert.match(main.uncommented, /var openAiResourceGroupName = openAiMode == 'existing'\n\s+\? split\(existingOpenAiResourceId, '\/'\)\[4\]/);
    assert.match(main.uncommented, /var openAiAccountName = openAiMode == 'existing'\n\s+\? last\(split\(existingOpenAiResourceId, '\/'\)\)/);

    assert.equal(bicepVar(access, "openAiUserRoleId"), `'${openAiUserRoleId}'`);
    const assignment = /resource openAiUser 'Microsoft\.Authorization\/roleAssignments@[^']+' = \{([^]*?)\n\}/.exec(access.uncommented);
    assert.ok(assignment, "a role assignment");
    assert.match(assignment[1]!, /\n  scope: account\n/);
    assert.match(assignment[1]!, /roleDefinitionId: subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', openAiUserRoleId\)/);
    assert.match(assignment[1]!, /principalId: principalId\n/);
    assert.match(assignment[1]!, /principalType: 'ServicePrincipal'/);
    assert.deepEqual(outputNames(access).sort(), ["endpoint", "modelName", "requestsPerMinute", "tokensPerMinute"]);
  });

  it("DOCBATCH_LLM_* come from the account and its deployment; no DOCBATCH_LLM_API_KEY anywhere", () => {
    assert.equal(objectEntry(main, "llmSettings", "DOCBATCH_LLM_ENDPOINT"), "useOpenAi ? openAiAccess!.outputs.endpoint : llmEndpoint");
    assert.equal(objectEntry(main, "llmSettings", "DOCBATCH_LLM_MODELS"), "useOpenAi ? openAiDeploymentName : llmModels");
    assert.equal(
      objectEntry(main, "llmSettings", "DOCBATCH_LLM_REQUESTS_PER_MINUTE"),
      "string(useOpenAi ? openAiAccess!.outputs.requestsPerMinute : llmRequestsPerMinute)",
    );
    assert.equal(
      objectEntry(main, "llmSettings", "DOCBATCH_LLM_TOKENS_PER_MINUTE"),
      "string(useOpenAi ? openAiAccess!.outputs.tokensPerMinute : llmTokensPerMinute)",
    );
    assert.equal(
      objectEntry(main, "llmSettings", "DOCBATCH_EXTRACTION_MODEL"),
      "empty(extractionModel) ? (useOpenAi ? openAiDeploymentName : 'gpt-4o-mini') : extractionModel",
    );
    for (const file of ["infra/main.bicep", "infra/app/openAi.bicep", "infra/app/openAiAccess.bicep", "infra/app/functionApp.bicep"]) {
      assert.doesNotMatch(maskBicep(read(file)).uncommented, /DOCBATCH_LLM_API_KEY\s*:/, `${file} sets no LLM key`);
    }
    // The deployment's rates are read from the deployment itself (new or existing), not assumed.
    assert.match(access.uncommented, /resource modelDeployment 'Microsoft\.CognitiveServices\/accounts\/deployments@[^']+' existing = \{\n  parent: account\n  name: deploymentName\n\}/);
  });

  it("the rate limits follow the capacity as Azure sets them (capacity units of 1,000 TPM; RPM per unit by model)", () => {
    // Azure OpenAI quota docs: older chat and embedding models 6 RPM + 1,000 TPM per unit; newer
    // models 1 RPM + 1,000 TPM; o1 1 RPM + 6,000 TPM.
    const expected: [model: string, capacity: number, rpm: number, tpm: number][] = [
      ["gpt-4o-mini", 50, 300, 50_000],
      ["gpt-4o", 10, 60, 10_000],
      ["GPT-4o", 10, 60, 10_000],
      ["gpt-35-turbo", 120, 720, 120_000],
      ["gpt-4", 10, 60, 10_000],
      ["gpt-4-32k", 10, 60, 10_000],
      ["text-embedding-3-small", 350, 2_100, 350_000],
      ["text-embedding-ada-002", 10, 60, 10_000],
      ["gpt-4.1", 50, 50, 50_000],
      ["gpt-4.1-mini", 1000, 1000, 1_000_000],
      ["gpt-4.1-nano", 10, 10, 10_000],
      ["gpt-5-mini", 20, 20, 20_000],
      ["o3", 10, 10, 10_000],
      ["o3-mini", 10, 10, 10_000],
      ["o4-mini", 10, 10, 10_000],
      ["o1", 10, 10, 60_000],
      ["o1-preview", 5, 5, 30_000],
    ];
    for (const [model, capacity, rpm, tpm] of expected) {
      assert.deepEqual(limitsFromBicep({ model, capacity }), { requestsPerMinute: rpm, tokensPerMinute: tpm }, `${model} × ${capacity}`);
    }
    assert.deepEqual(limitsFromBicep({ model: "gpt-4.1", capacity: 50, requestsPerCapacityUnit: 3 }), { requestsPerMinute: 150, tokensPerMinute: 50_000 });
    assert.match(main.uncommented, /\n {4}requestsPerCapacityUnit: openAiRequestsPerCapacityUnit\n/);
  });

  it("the settings the Bicep derives work in docbatch: the /openai/v1 base, the limits, the identity's token", async () => {
    for (const accountEndpoint of ["https://oai-abc123.openai.azure.com/", "https://oai-abc123.openai.azure.com"]) {
      assert.equal(endpointFromBicep(accountEndpoint), "https://oai-abc123.openai.azure.com/openai/v1");
    }
    // An AI Services (Foundry) account's endpoint serves the same routes.
    assert.equal(endpointFromBicep("https://ais-x.cognitiveservices.azure.com/"), "https://ais-x.cognitiveservices.azure.com/openai/v1");

    const example = JSON.parse(read("local.settings.json.example")) as { Values: Record<string, string> };
    const limits = limitsFromBicep({ model: "gpt-4o-mini", capacity: 50 });
    const { DOCBATCH_LLM_API_KEY: _none, ...values } = example.Values;
    const settings = readSettings({
      ...values,
      DOCBATCH_ALLOW_LOOPBACK_HTTP: "false",
      DOCBATCH_LLM_ENDPOINT: endpointFromBicep("https://oai-abc123.openai.azure.com/"),
      DOCBATCH_LLM_MODELS: "gpt-4o-mini",
      DOCBATCH_LLM_REQUESTS_PER_MINUTE: String(limits.requestsPerMinute),
      DOCBATCH_LLM_TOKENS_PER_MINUTE: String(limits.tokensPerMinute),
    });
    assert.equal(settings.llmUpstreams.length, 1);
    const upstream = settings.llmUpstreams[0]!;
    assert.deepEqual(
      { ...upstream, endpoint: String(upstream.endpoint) },
      { endpoint: "https://oai-abc123.openai.azure.com/openai/v1", apiKey: undefined, models: ["gpt-4o-mini"], requestsPerMinute: 300, tokensPerMinute: 50_000 },
    );

    // No key: the managed identity's token for Cognitive Services, as the role allows.
    const scopes: (string | string[])[] = [];
    const headers = upstreamAuth({
      endpoint: new URL(String(upstream.endpoint)),
      credential: async () => ({
        getToken: async (scope) => {
          scopes.push(scope);
          return { token: "identity-token", expiresOnTimestamp: Date.now() + 3_600_000 };
        },
      }),
    });
    assert.deepEqual(await headers(), { authorization: "Bearer identity-token" });
    assert.deepEqual(scopes, [COGNITIVE_SERVICES_SCOPE]);
  });
});

/** The repository root (tests run from dist/). */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "infra", "main.bicep"))) return dir;
    if (path.dirname(dir) === dir) throw new Error("no infra/main.bicep above the test");
  }
}
