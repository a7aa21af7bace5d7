#!/usr/bin/env node
// Prints the README configuration table from the settings catalogue (src/config/settings.ts,
// compiled to dist/). `--write` replaces the README section between the configuration markers.
// test/config/settingsConsistency.test.ts fails when the README and the catalogue drift apart.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const compiled = path.join(root, "dist", "src", "config", "settings.js");
if (!existsSync(compiled)) {
  console.error("dist/src/config/settings.js is missing: run `npm run build` first.");
  process.exit(1);
}
const { settingCatalogue } = await import(pathToFileURL(compiled).href);

const cell = (text) => String(text).replace(/\|/g, "\\|").replace(/\n/g, " ");
const rows = settingCatalogue.map((setting) => {
  const meaning = setting.readBy === "platform" ? `${setting.description} *(read by the Functions host / Azure SDK)*` : setting.description;
  const fallback = setting.default === undefined ? "" : `\`${setting.default}\``;
  return `| \`${setting.name}\` | ${cell(meaning)} | ${fallback} |`;
});
const table = ["| Setting | Meaning | Default |", "| --- | --- | --- |", ...rows].join("\n");

if (process.argv.includes("--write")) {
  const readme = path.join(root, "README.md");
  const text = readFileSync(readme, "utf8");
  const start = "<!-- configuration:start -->";
  const end = "<!-- configuration:end -->";
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    console.error("README.md has no configuration markers.");
    process.exit(1);
  }
  const intro = [
    "Every app setting docbatch reads (the catalogue in `src/config/settings.ts`; regenerate this table with",
    "`npm run build && node scripts/settings-table.mjs --write`). Locally they live in `local.settings.json`",
    "(copied from `local.settings.json.example`); in Azure the Bicep in `infra/` sets them, secrets as Key Vault",
    "references. Empty values count as unset.",
  ].join("\n");
  writeFileSync(readme, `${text.slice(0, from + start.length)}\n${intro}\n\n${table}\n${text.slice(to)}`);
  console.log("README.md configuration table updated.");
} else {
  console.log(table);
}
