// The Node.js docbatch deploys is the one it is tested on: this run's Node, the Bicep default,
// `engines` and the `node` devDependency name the same major version.
import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const read = (relative: string) => readFileSync(path.join(root, relative), "utf8");

it("the tests run on the Node.js major the Bicep deploys, `engines` asks for and npm ci installs", () => {
  const running = Number(process.versions.node.split(".")[0]);
  const main = /^param nodeVersion string = '(\d+)'$/m.exec(read("infra/main.bicep"));
  const app = /^param nodeVersion string = '(\d+)'$/m.exec(read("infra/app/functionApp.bicep"));
  const parameters = /"nodeVersion": \{ "value": "\$\{DOCBATCH_NODE_VERSION=(\d+)\}" \}/.exec(read("infra/main.parameters.json"));
  const pkg = JSON.parse(read("package.json")) as { engines: { node: string }; devDependencies: Record<string, string> };
  const engines = /^>=(\d+)$/.exec(pkg.engines.node);
  const devDependency = /^\^(\d+)\./.exec(pkg.devDependencies.node ?? "");
  assert.ok(main && app && parameters && engines && devDependency, "every place names a version");
  const versions = { running, bicep: Number(main[1]), functionApp: Number(app[1]), parameters: Number(parameters[1]), engines: Number(engines[1]), devDependency: Number(devDependency[1]) };
  assert.deepEqual(new Set(Object.values(versions)).size, 1, JSON.stringify(versions));
  assert.ok(running >= 22, "Node 20 reached end of life on 2026-04-30");
});
