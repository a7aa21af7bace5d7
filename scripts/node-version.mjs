// The Node.js docbatch deploys is the one it is tested and run on: `engines` in package.json,
// the Bicep default (infra/main.bicep nodeVersion) and the `node` devDependency, whose official
// binary npm puts first on the PATH of every npm script (node_modules/.bin/node). A machine
// whose own Node is older still runs `npm test` and `npm run local` on the right version; when
// that binary is missing (npm ci not run, or it failed on this platform) this says what to do.
// Plain JavaScript that old Node versions parse, so the sentence is what they print.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The major version `engines.node` asks for (">=22" -> 22). */
export function requiredNodeMajor() {
  const engines = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).engines || {};
  const match = /(\d+)/.exec(engines.node || "");
  return match ? Number(match[1]) : 0;
}

/** Exits with one sentence when this Node is older than docbatch's. */
export function requireDocbatchNode(command) {
  const required = requiredNodeMajor();
  const current = Number(process.versions.node.split(".")[0]);
  if (current >= required) return;
  console.error(
    `${command} needs Node.js ${required} or newer and found ${process.version}: run \`npm ci\` first (it installs Node.js ${required} into node_modules for npm's scripts), or install Node.js ${required} LTS from https://nodejs.org if npm ci cannot on this platform.`,
  );
  process.exit(1);
}
