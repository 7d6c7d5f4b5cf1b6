// Storage through drizzle-orm: PostgreSQL when DATABASE_URL is set, embedded PGlite in DATA_DIR
// otherwise — one schema, one dialect, migrations applied at start.
//
// Dense seqs: every placing transaction first locks the single `canvas_meta` row. That serialises
// commits cluster-wide, so seqs are handed out without holes and become visible in seq order
// (a reader that sees seq N committed also sees every seq below N).

import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { and, desc, eq, gt, inArray, sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import { canvasMeta, placements, users } from "../lib/db/schema";
import { type CommitPlan, type PlacementRequest, planCommit } from "./commit-plan";
import { ConfigError } from "./config";

const MIGRATIONS_DIR = fileURLToPath(new URL("../drizzle", import.meta.url));
/** Arbitrary constant naming the advisory lock that serialises migrations across replicas. */
const MIGRATION_LOCK_KEY = 0x7e55e4a;

export interface StoredPlacement {
  seq: number;
  x: number;
  y: number;
  color: number;
  userId: string;
  placedAt: number;
}

export interface PixelInfo {
  x: number;
  y: number;
  color: number;
  seq: number;
  user: { id: string; name: string };
  placedAt: number;
}

export interface StoredUser {
  id: string;
  name: string;
  lastPlacedAt: number | null;
}

/** The database as the rest of the server sees it. */
export interface Storage {
  readonly kind: "postgres" | "pglite";
  /** Decide and commit a group of placements in one transaction (see commit-plan.ts). */
  commitPlacements(requests: readonly PlacementRequest[], cooldownMs: number): Promise<CommitPlan>;
  /** Placements with seq > `after`, in seq order, at most `limit`. */
  placementsAfter(after: number, limit: number): Promise<StoredPlacement[]>;
  /** The highest committed seq. */
  currentSeq(): Promise<number>;
  createUser(name: string): Promise<StoredUser>;
  getUser(id: string): Promise<StoredUser | null>;
  /** Latest placement at (x, y) with its author, or null. */
  pixelInfo(x: number, y: number): Promise<PixelInfo | null>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

type AnyDb = PgDatabase<PgQueryResultHKT, Record<string, never>>;

const dbNow = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`.mapWith(Number);

class DrizzleStorage implements Storage {
  constructor(
    readonly kind: "postgres" | "pglite",
    private readonly db: AnyDb,
    private readonly onClose: () => Promise<void>,
  ) {}

  async commitPlacements(requests: readonly PlacementRequest[], cooldownMs: number): Promise<CommitPlan> {
    return this.db.transaction(async (tx) => {
      const [meta] = await tx
        .select({ seq: canvasMeta.seq, now: dbNow })
        .from(canvasMeta)
        .where(eq(canvasMeta.id, 1))
        .for("update");
      const ids = [...new Set(requests.map((r) => r.userId))];
      const rows = await tx
        .select({ id: users.id, lastPlacedAt: users.lastPlacedAt })
        .from(users)
        .where(inArray(users.id, ids));
      const last = new Map(rows.map((r) => [r.id, r.lastPlacedAt]));
      const plan = planCommit(requests, last, meta.now, cooldownMs, meta.seq);
      if (plan.accepted.length > 0) {
        await tx.insert(placements).values(
          plan.accepted.map((p) => ({ seq: p.seq, x: p.x, y: p.y, color: p.color, userId: p.userId, placedAt: meta.now })),
        );
        await tx.update(users).set({ lastPlacedAt: meta.now }).where(inArray(users.id, plan.touchedUsers));
        await tx.update(canvasMeta).set({ seq: plan.nextSeq }).where(eq(canvasMeta.id, 1));
      }
      return plan;
    });
  }

  async placementsAfter(after: number, limit: number): Promise<StoredPlacement[]> {
    return this.db
      .select({
        seq: placements.seq,
        x: placements.x,
        y: placements.y,
        color: placements.color,
        userId: placements.userId,
        placedAt: placements.placedAt,
      })
      .from(placements)
      .where(gt(placements.seq, after))
      .orderBy(placements.seq)
      .limit(limit);
  }

  async currentSeq(): Promise<number> {
    const [row] = await this.db.select({ seq: canvasMeta.seq }).from(canvasMeta).where(eq(canvasMeta.id, 1));
    return row?.seq ?? 0;
  }

  async createUser(name: string): Promise<StoredUser> {
    const id = randomBytes(12).toString("base64url");
    const [row] = await this.db
      .insert(users)
      .values({ id, name, createdAt: dbNow as unknown as number })
      .returning({ id: users.id, name: users.name, lastPlacedAt: users.lastPlacedAt });
    return row;
  }

  async getUser(id: string): Promise<StoredUser | null> {
    const [row] = await this.db
      .select({ id: users.id, name: users.name, lastPlacedAt: users.lastPlacedAt })
      .from(users)
      .where(eq(users.id, id));
    return row ?? null;
  }

  async pixelInfo(x: number, y: number): Promise<PixelInfo | null> {
    const [row] = await this.db
      .select({
        seq: placements.seq,
        color: placements.color,
        placedAt: placements.placedAt,
        userId: users.id,
        name: users.name,
      })
      .from(placements)
      .innerJoin(users, eq(users.id, placements.userId))
      .where(and(eq(placements.x, x), eq(placements.y, y)))
      .orderBy(desc(placements.seq))
      .limit(1);
    if (!row) return null;
    return { x, y, color: row.color, seq: row.seq, user: { id: row.userId, name: row.name }, placedAt: row.placedAt };
  }

  async ping(): Promise<void> {
    await this.db.execute(sql`select 1`);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

async function ensureMetaRow(db: AnyDb): Promise<void> {
  await db.insert(canvasMeta).values({ id: 1, seq: 0 }).onConflictDoNothing();
}

// ------------------------------------------------------------------ embedded (PGlite)

/**
 * Claim DATA_DIR for this process. PGlite does not lock its directory and two writers silently lose
 * data, so a pid file created with O_EXCL guards it; a lock left by a dead process is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, "tessera.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(lockPath, "utf8") === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(fs.readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new ConfigError(
          `DATA_DIR ${dataDir} is in use by another Tessera process (pid ${holder}); ` +
            "two processes must never share an embedded database",
        );
      }
      fs.unlinkSync(lockPath); // stale: its process is gone
    }
  }
  throw new ConfigError(`DATA_DIR ${dataDir}: could not take the lock file ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The session secret kept in DATA_DIR in embedded mode (created once, mode 0600). */
export function keptSessionSecret(dataDir: string): string {
  const file = path.join(dataDir, "session-secret");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    const secret = randomBytes(32).toString("base64url");
    fs.writeFileSync(file, secret + "\n", { mode: 0o600 });
    return secret;
  }
}

export async function openPglite(dataDir: string): Promise<Storage> {
  const unlock = lockDataDir(dataDir);
  try {
    const client = new PGlite(path.join(dataDir, "pglite"));
    await client.waitReady;
    const db = drizzlePglite(client) as unknown as AnyDb;
    await migratePglite(db as never, { migrationsFolder: MIGRATIONS_DIR });
    await ensureMetaRow(db);
    return new DrizzleStorage("pglite", db, async () => {
      await client.close();
      unlock();
    });
  } catch (err) {
    unlock();
    throw err;
  }
}

// ------------------------------------------------------------------ PostgreSQL

export async function openPostgres(url: string, onError: (err: Error) => void): Promise<Storage> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on("error", onError);
  const db = drizzlePg(pool) as unknown as AnyDb;
  const client = await pool.connect();
  try {
    // Replicas starting together: one migrates, the others wait, then find nothing to do.
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await migratePg(drizzlePg(client) as never, { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  await ensureMetaRow(db);
  return new DrizzleStorage("postgres", db, () => pool.end());
}
