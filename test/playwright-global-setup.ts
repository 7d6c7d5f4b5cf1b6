// Playwright global setup: one private PostgreSQL cluster for the whole run (see test/pg.ts). The
// environment variable set here reaches the workers; the returned function is the teardown.

import { SHARED_PG_KEY, startSharedPostgres } from "./pg";

export default async function setup(): Promise<() => Promise<void>> {
  const { shared, stop } = await startSharedPostgres();
  process.env[SHARED_PG_KEY] = JSON.stringify(shared);
  return stop;
}
