// Lint: a few type-aware rules that catch real bugs, not style (formatting is left alone).
// typescript-eslint rather than Biome: these rules need the TypeScript type checker itself — which
// promise is floating, which callback returns a promise where void is expected, which union member a
// switch forgot — and typescript-eslint asks the compiler the project already builds with.
// `npm run lint` runs it with knip.

import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [".next/**", "node_modules/**", "drizzle/**", "bench/results/**", "playwright-report/**", "test-results/**", "data/**", "next-env.d.ts", "**/*.js", "**/*.mjs", "**/*.cjs"],
  },
  {
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@typescript-eslint": tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: "warn" },
    rules: {
      // A promise nobody awaits or catches loses its error (an unhandled rejection ends the process).
      "@typescript-eslint/no-floating-promises": ["error", { ignoreVoid: true }],
      // An async function passed where a void callback is expected (event handlers, timers,
      // forEach) has its rejection dropped, and `if (promise)` is always true.
      "@typescript-eslint/no-misused-promises": "error",
      // A message type added to a union and not handled must show up. A deliberate `default:`
      // means "everything else" and is accepted.
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      // Unused code hides what is really used; a leading `_` marks a parameter kept on purpose.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
);
