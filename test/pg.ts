// Throw-away PostgreSQL databases for tests. Each test run starts one private cluster (initdb in a
// temp dir, a free port: test/private-postgres.ts) from its runner's global setup — vitest:
// test/global-setup.ts, Playwright: test/playwright-global-setup.ts — and every test that needs
// PostgreSQL gets a fresh database in it. TEST_PG_URL=postgres://… points them at a server of your
// own instead (its user must be allowed to CREATE and DROP DATABASE).

import { randomBytes } from "node:crypto";
import pg from "pg";
import { PrivatePostgres } from "./private-postgres";

/** The opt-in admin URL of a server of your own; unset → the run's private cluster. */
const PG_ADMIN_URL: string | undefined = process.env.TEST_PG_URL || undefined;

/** What a runner's global setup hands to the tests: the cluster's admin URL, or why there is none. */
export type SharedPostgres = { url: string } | { error: string };

/** vitest passes it through provide/inject; Playwright through this environment variable. */
export const SHARED_PG_KEY = "TESSERA_TEST_PG";

declare module "vitest" {
  export interface ProvidedContext {
    [SHARED_PG_KEY]: SharedPostgres;
  }
}

/**
 * For a runner's global setup: start the run's private cluster unless TEST_PG_URL names a server.
 * A machine without PostgreSQL binaries still runs the tests that do not need it; the others fail
 * with the reason (`error`).
 */
export async function startSharedPostgres(): Promise<{ shared: SharedPostgres; stop: () => Promise<void> }> {
  if (PG_ADMIN_URL) return { shared: { url: PG_ADMIN_URL }, stop: async () => {} };
  let cluster: PrivatePostgres;
  try {
    cluster = await PrivatePostgres.start();
  } catch (err) {
    return { shared: { error: `could not start a private PostgreSQL for the tests: ${(err as Error).message}` }, stop: async () => {} };
  }
  return { shared: { url: cluster.url }, stop: () => cluster.destroy() };
}

async function adminUrl(): Promise<string> {
  if (PG_ADMIN_URL) return PG_ADMIN_URL;
  let shared: SharedPostgres | undefined;
  if (process.env.VITEST) {
    // imported only under vitest: Playwright loads this file too
    const { inject } = await import("vitest");
    shared = inject(SHARED_PG_KEY);
  } else if (process.env[SHARED_PG_KEY]) {
    shared = JSON.parse(process.env[SHARED_PG_KEY]!) as SharedPostgres;
  }
  if (!shared) {
    throw new Error("no PostgreSQL for this test: run it through vitest or Playwright (their global setup starts one), or set TEST_PG_URL");
  }
  if ("error" in shared) throw new Error(shared.error);
  return shared.url;
}

/** A fresh, empty PostgreSQL database; `drop()` removes it. */
export async function freshPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = await adminUrl();
  const name = `tessera_t_${randomBytes(6).toString("hex")}`;
  const create = new pg.Client({ connectionString: admin });
  await create.connect();
  try {
    await create.query(`CREATE DATABASE ${name}`);
  } finally {
    await create.end();
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: admin });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
