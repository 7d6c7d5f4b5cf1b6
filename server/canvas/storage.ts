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
import { and, desc, eq, gt, sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import { canvasMeta, placements, users } from "../../lib/db/schema";
import { type CommitPlan, type PlacementRequest, planCommit } from "./commit-plan";
import { ConfigError } from "../config";

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

/** A raw parameterised query on the driver under drizzle (the hot path's hand-written statement); `name` prepares it once per connection. */
type RawQuery = (name: string, text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * A whole group commit in one statement (one round trip, one implicit transaction):
 *  1. lock the counter row (`meta`): commits are serialised cluster-wide, seqs stay dense;
 *  2. lock the group's users — joined with `meta`, so only once the counter is held — and read
 *     their last placement time. FOR UPDATE returns the latest committed row version even if it
 *     changed after this statement's snapshot was taken, so the cooldown is read fresh;
 *  3. decide in arrival order exactly as planCommit does: accepted when the user's cooldown is over
 *     and, unless the cooldown is 0, it is that user's first placement in the group;
 *  4. number the accepted ones base+1, base+2, … and insert them, stamp the users, advance the counter.
 * Returns one row per request, in order: the user's previous placement time, the database clock,
 * the base seq and the seq given (null when rejected).
 */
const COMMIT_GROUP_SQL = `
with meta as (
  select seq, (extract(epoch from clock_timestamp()) * 1000)::bigint as now
  from canvas_meta where id = 1 for update
),
req as (
  select r.ord, r.user_id, r.x, r.y, r.color
  from unnest($1::text[], $2::int[], $3::int[], $4::int[]) with ordinality as r(user_id, x, y, color, ord)
),
prev as (
  select u.id, u.last_placed_at from users u cross join meta
  where u.id = any($1::text[])
  for update of u
),
dec as (
  select req.ord, req.user_id, req.x, req.y, req.color, prev.last_placed_at as last, meta.now, meta.seq as base,
    (prev.last_placed_at is null or meta.now - prev.last_placed_at >= $5::bigint)
      and ($5::bigint = 0 or row_number() over (partition by req.user_id order by req.ord) = 1) as ok
  from req cross join meta left join prev on prev.id = req.user_id
),
acc as (
  select ord, user_id, x, y, color, now, base + row_number() over (order by ord) as seq from dec where ok
),
ins as (
  insert into placements (seq, x, y, color, user_id, placed_at)
  select seq, x, y, color, user_id, now from acc
),
stamp as (
  update users set last_placed_at = meta.now from meta where users.id in (select user_id from acc)
),
advance as (
  update canvas_meta set seq = (select max(seq) from acc) where id = 1 and exists (select 1 from acc)
)
select dec.last::float8 as last, dec.now::float8 as now, dec.base::float8 as base, acc.seq::float8 as seq
from dec left join acc on acc.ord = dec.ord
order by dec.ord`;

class DrizzleStorage implements Storage {
  constructor(
    readonly kind: "postgres" | "pglite",
    private readonly db: AnyDb,
    private readonly raw: RawQuery,
    private readonly onClose: () => Promise<void>,
  ) {}

  async commitPlacements(requests: readonly PlacementRequest[], cooldownMs: number): Promise<CommitPlan> {
    // One statement, so one round trip and its own transaction (see COMMIT_GROUP_SQL).
    const rows = (await this.raw("tessera_commit_group", COMMIT_GROUP_SQL, [
      requests.map((r) => r.userId),
      requests.map((r) => r.x),
      requests.map((r) => r.y),
      requests.map((r) => r.color),
      cooldownMs,
    ])) as Array<{ last: number | null; now: number; base: number; seq: number | null }>;
    if (rows.length !== requests.length) throw new Error(`group commit returned ${rows.length} rows for ${requests.length} placements`);
    // The database decided under its locks; the same decision is recomputed by the pure planner
    // from what the database saw, and the two must agree seq for seq.
    const now = Number(rows[0].now);
    const last = new Map<string, number | null>();
    rows.forEach((row, i) => last.set(requests[i].userId, row.last === null ? null : Number(row.last)));
    const plan = planCommit(requests, last, now, cooldownMs, Number(rows[0].base));
    plan.decisions.forEach((d, i) => {
      const seq = rows[i].seq === null ? null : Number(rows[i].seq);
      if ((d.ok ? d.seq : null) !== seq) throw new Error(`group commit disagrees with the plan at ${i}: database seq ${seq}`);
    });
    return plan;
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
    const raw: RawQuery = async (_name, text, params) => (await client.query<Record<string, unknown>>(text, params)).rows;
    return new DrizzleStorage("pglite", db, raw, async () => {
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
  // Named: prepared once per pooled connection, then only bound and executed.
  const raw: RawQuery = async (name, text, values) => (await pool.query({ name, text, values })).rows;
  return new DrizzleStorage("postgres", db, raw, () => pool.end());
}
