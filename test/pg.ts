// Throw-away PostgreSQL databases on the machine's server, one per test run.

import { randomBytes } from "node:crypto";
import pg from "pg";

/** Admin URL of the machine's PostgreSQL, used to create and drop one database per test run. */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh, empty PostgreSQL database; `drop()` removes it. */
export async function freshPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tessera_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

