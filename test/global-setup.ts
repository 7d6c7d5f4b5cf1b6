// vitest global setup: one private PostgreSQL cluster for the whole run (see test/pg.ts), started
// before the test workers and removed after the last test file.

import type { TestProject } from "vitest/node";
import { SHARED_PG_KEY, startSharedPostgres } from "./pg";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { shared, stop } = await startSharedPostgres();
  project.provide(SHARED_PG_KEY, shared);
  return stop;
}
