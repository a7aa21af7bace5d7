// ESLint for docbatch's TypeScript (run through `npm run lint`, scripts/lint.mjs). Type-aware:
// promises nobody awaits or handles, promises passed where a callback's result is ignored, and
// `any`, which switches the compiler's checks off.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".venv-test/", "**/*.mjs", "**/*.js", "**/*.cjs"] },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/test return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "suite", "test", "it"] }] },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-explicit-any": "error",
      // Patterns that match rendered text (Markdown tables, aligned output) are written as it looks.
      "no-regex-spaces": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    // Tests still hold `any` where a wire body is picked apart; typed helpers replace them (issue 21).
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "warn" },
  },
);
