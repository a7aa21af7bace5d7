// What infra/ guarantees a fresh subscription (issue 20, item 6 and 7), read from the Bicep text
// (no compiler here): only Flex Consumption regions, the app's own account reachable without a
// SAS, no `existing` scheduler with an empty name, the app created after its role assignments.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readSettings } from "../../src/config/settings.js";
import { parseContainerUrl, storageUrlPolicy, StorageUrlError } from "../../src/storage/containerUrl.js";
import { maskBicep, topLevelKeys } from "../config/bicepText.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const read = (relative: string) => readFileSync(path.join(root, relative), "utf8");
const main = read("infra/main.bicep");

/** The Bicep expression `join(union([own], filter(map(split(list, ','), e => trim(e)), e => !empty(e))), ',')`. */
function allowedAccountsSetting(own: string, list: string): string {
  return [...new Set([own, ...list.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")])].join(",");
}

describe("infra/main.bicep", () => {
  it("accepts only regions with Flex Consumption", () => {
    const declaration = /@allowed\(\[\n((?:  '[a-z0-9]+'\n)+)\]\)\n@metadata\(\{\n  azd: \{\n    type: 'location'/.exec(main);
    assert.ok(declaration, "location carries an @allowed list (and azd's location picker)");
    const regions = [...declaration[1]!.matchAll(/'([a-z0-9]+)'/g)].map((m) => m[1]!);
    assert.ok(regions.length >= 30 && regions.includes("eastus2") && regions.includes("westeurope"), regions.join(","));
    assert.ok(!regions.includes("westindia") && !regions.includes("chinaeast"), "regions without Flex Consumption are refused");
  });

  it("DOCBATCH_ALLOWED_STORAGE_ACCOUNTS always holds the app's own account, so its containers need no SAS", () => {
    assert.match(
      main,
      /^  DOCBATCH_ALLOWED_STORAGE_ACCOUNTS: join\(union\(\[storage\.outputs\.name\], filter\(map\(split\(allowedStorageAccounts, ','\), entry => trim\(entry\)\), entry => !empty\(entry\)\)\), ','\)$/m,
    );
    for (const [list, expected] of [["", "stapp"], [" mydata/inbox, ,other ", "stapp,mydata/inbox,other"], ["stapp", "stapp"]] as const) {
      assert.equal(allowedAccountsSetting("stapp", list), expected);
    }
    // What the postdeploy check and the README's first request rely on, through docbatch's own policy.
    const settings = readSettings({ DOCBATCH_ALLOWED_STORAGE_ACCOUNTS: allowedAccountsSetting("stapp", "") });
    const policy = storageUrlPolicy({ ...settings, taskHub: "docbatch", tablePrefix: "docbatch" }, "stapp");
    const documents = parseContainerUrl("https://stapp.blob.core.windows.net/documents", policy, "azureBlobSource.containerUrl");
    assert.equal(documents.sas, undefined);
    assert.throws(() => parseContainerUrl("https://stapp.blob.core.windows.net/azure-webjobs-hosts", policy, "resultContainerUrl"), StorageUrlError, "internal containers stay refused");
    assert.throws(() => parseContainerUrl("https://elsewhere.blob.core.windows.net/documents", policy, "resultContainerUrl"), StorageUrlError, "other accounts still need a SAS");
  });

  it("the app is created after every role assignment it needs", () => {
    const masked = maskBicep(main);
    const at = masked.uncommented.search(/^module functionApp 'app\/functionApp\.bicep' = \{/m);
    const keys = topLevelKeys(masked, masked.masked.indexOf("{", at));
    const dependsOn = masked.uncommented.slice(keys.get("dependsOn")!, masked.uncommented.indexOf("]", keys.get("dependsOn")!));
    for (const roles of ["roles", "documentIntelligenceAccess", "openAiAccess"]) assert.match(dependsOn, new RegExp(`^\\s+${roles}$`, "m"), roles);
  });
});

describe("the Durable Task Scheduler's role", () => {
  it("is granted where the scheduler is created: roles.bicep refers to no scheduler (no `existing` with an empty name)", () => {
    const roles = maskBicep(read("infra/app/roles.bicep")).masked; // code only: comments and strings blanked
    assert.doesNotMatch(roles, /DurableTask|scheduler/i);
    const scheduler = read("infra/app/durableTaskScheduler.bicep");
    assert.match(scheduler, /^resource schedulerRoles 'Microsoft\.Authorization\/roleAssignments@[^']+' = \[\n  for principal in principals: \{\n    name: guid\(scheduler\.id, principal\.id, durableTaskDataContributor\)\n    scope: scheduler$/m);
    assert.doesNotMatch(scheduler, /\bexisting\b/);
    // The app module depends on the scheduler module through its endpoint, hence on these roles.
    assert.match(main, /durableTaskSchedulerEndpoint: useScheduler \? scheduler!\.outputs\.endpoint : ''/);
    assert.match(main, /^module scheduler 'app\/durableTaskScheduler\.bicep' = if \(useScheduler\) \{/m);
  });
});
