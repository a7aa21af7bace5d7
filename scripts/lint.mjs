#!/usr/bin/env node
// Runs ESLint over the tree (eslint.config.mjs). typescript-eslint's type-aware rules drive the
// TypeScript compiler through its JavaScript API, which TypeScript 7 (the native compiler
// docbatch builds with) no longer ships; the `typescript-for-lint` devDependency is TypeScript 6
// under another name, and every `typescript` import made while linting resolves to it. The build
// and the tests never load it.
import { registerHooks } from "node:module";

const { requireDocbatchNode } = await import("./node-version.mjs");
requireDocbatchNode("npm run lint");

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === "typescript" || specifier.startsWith("typescript/")) {
      return nextResolve(specifier.replace(/^typescript/, "typescript-for-lint"), context);
    }
    return nextResolve(specifier, context);
  },
});

const { ESLint } = await import("eslint");
const fix = process.argv.includes("--fix");
const eslint = new ESLint({ fix });
const paths = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const results = await eslint.lintFiles(paths.length ? paths : ["."]);
if (fix) await ESLint.outputFixes(results);
const formatter = await eslint.loadFormatter("stylish");
const output = await formatter.format(results);
if (output) console.log(output);
const errors = results.reduce((sum, result) => sum + result.errorCount, 0);
process.exitCode = errors > 0 ? 1 : 0;
