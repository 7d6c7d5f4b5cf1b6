// The two storage backends for database tests: embedded PGlite in a temp dir, and PostgreSQL in a
// private throw-away cluster started once per test file (test/private-postgres.ts), or on the
// server TEST_PG_URL names when set. Each backend gets its own fresh database.

import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openPglite, openPostgres, type Storage } from "../server/canvas/storage";
import { PrivatePostgres } from "./private-postgres";

/** A new empty directory (test/helpers.ts has one too, but importing it loads the whole server). */
export function tempDir(prefix = "tessera-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export type BackendKind = "pglite" | "postgres";
export const BACKENDS: readonly BackendKind[] = ["pglite", "postgres"];

let cluster: Promise<PrivatePostgres> | null = null;

function adminUrl(): Promise<string> {
  if (process.env.TEST_PG_URL) return Promise.resolve(process.env.TEST_PG_URL);
  cluster ??= PrivatePostgres.start();
  return cluster.then((c) => c.url);
}

const created: Array<{ admin: string; name: string }> = [];

/** A fresh empty database on this file's PostgreSQL; returns its URL. */
export async function freshPostgresUrl(): Promise<string> {
  const admin = await adminUrl();
  const name = `tessera_t_${randomBytes(6).toString("hex")}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  created.push({ admin, name });
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drop the databases made here and stop the private cluster (call from the file's top-level afterAll). */
export async function stopPostgres(): Promise<void> {
  if (process.env.TEST_PG_URL) {
    for (const { admin, name } of created.splice(0)) {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => c.end());
    }
  }
  const c = cluster;
  cluster = null;
  if (c) await (await c).destroy();
}

export interface Backend {
  kind: BackendKind;
  /** Open a Storage on this backend's database (the same database every time; close the previous one first on PGlite). */
  open(): Promise<Storage>;
  /** The PostgreSQL URL (postgres) or the DATA_DIR (pglite). */
  location(): Promise<string>;
}

export function backend(kind: BackendKind): Backend {
  if (kind === "pglite") {
    const dir = tempDir();
    return { kind, open: () => openPglite(dir), location: async () => dir };
  }
  let url: Promise<string> | null = null;
  const location = () => (url ??= freshPostgresUrl());
  return { kind, open: async () => openPostgres(await location(), () => {}), location };
}
