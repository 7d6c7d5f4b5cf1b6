import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Playwright specs live in e2e/ and must not be collected by vitest.
    include: ["lib/**/*.test.ts", "server/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One private PostgreSQL cluster per run, shared by every test that needs PostgreSQL (test/pg.ts).
    globalSetup: ["test/global-setup.ts"],
  },
});
