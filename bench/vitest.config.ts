// The benchmark's own unit tests (pure code, no processes): npm run bench:test.
import { defineConfig } from "vitest/config";

export default defineConfig({ test: { include: ["bench/**/*.test.ts"] } });
