// The two storage backends for database tests: embedded PGlite in a temp dir, and PostgreSQL (a
// fresh database in the run's private cluster, or on TEST_PG_URL's server: test/pg.ts).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openPglite, openPostgres, type Storage } from "../server/canvas/storage";
import { freshPgDatabase } from "./pg";

/** A new empty directory (test/helpers.ts has one too, but importing it loads the whole server). */
export function tempDir(prefix = "tessera-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export type BackendKind = "pglite" | "postgres";
export const BACKENDS: readonly BackendKind[] = ["pglite", "postgres"];

const drops: Array<() => Promise<void>> = [];

/** A fresh empty database on the run's PostgreSQL (test/pg.ts); returns its URL. */
export async function freshPostgresUrl(): Promise<string> {
  const db = await freshPgDatabase();
  drops.push(db.drop);
  return db.url;
}

/** Drop the databases made here (call from the file's top-level afterAll). */
export async function dropDatabases(): Promise<void> {
  for (const drop of drops.splice(0)) await drop();
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
