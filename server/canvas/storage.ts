// Storage through drizzle-orm: PostgreSQL when DATABASE_URL is set, embedded PGlite in DATA_DIR
// otherwise — one schema, one dialect, migrations applied at start. Implements the Storage
// interface of store.ts; the data model is docs/ARCHITECTURE.md "Data model".
//
// Dense seqs per board: every commit runs the database function `tessera_commit`, which first
// locks the board's row. That serialises a board's commits cluster-wide, so its seqs are handed out
// without holes and become visible in seq order (a reader that sees seq N of a board also sees
// every seq below N). Boards do not wait for each other.

import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { PGlite } from "@electric-sql/pglite";
import { and, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import type { BoardState, PublicUser } from "../../lib/protocol";
import { boards, boardUsers, modLog, placements, snapshots, users } from "../../lib/db/schema";
import { type CommitPlan, type PlacementRequest, planCommit } from "./commit-plan";
import { lockDataDir } from "./storage-data-dir";
import {
  type BoardRow,
  type CommitOptions,
  type CreateBoardResult,
  type ModActor,
  type ModLogEntry,
  MODERATION_USER,
  type NewBoard,
  type PackedPlacements,
  type PixelInfo,
  type Snapshot,
  type Storage,
  type StoredPlacement,
  type StoredUser,
  UnknownBoardError,
} from "./store";

export { keptSessionSecret, lockDataDir } from "./storage-data-dir";
export type { PixelInfo, Storage, StoredPlacement, StoredUser } from "./store";

const MIGRATIONS_DIR = fileURLToPath(new URL("../../drizzle", import.meta.url));
/** Arbitrary constant naming the advisory lock that serialises migrations across replicas. */
const MIGRATION_LOCK_KEY = 0x7e55e4a;
/** "Per day" in BOARDS_PER_USER_PER_DAY: a sliding 24 hours. */
const DAY_MS = 24 * 3600 * 1000;

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

type AnyDb = PgDatabase<PgQueryResultHKT, Record<string, never>>;

const dbNow = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`.mapWith(Number);

/** A raw parameterised query on the driver under drizzle (hand-written statements); `name` prepares it once per connection. */
type RawQuery = (name: string, text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** The group commit: one call of the database function, so one round trip (drizzle/0001_boards.sql). */
const COMMIT_SQL = `select code, last, banned_until, frozen, now, base, seq
from tessera_commit($1::text, $2::text[], $3::int[], $4::int[], $5::int[], $6::bigint, $7::boolean)`;

/**
 * The next candidate pixels of a rollback, read without any lock: where the user placed after a
 * seq, after a cursor in (y, x) order. Whether each is still the user's is decided under the
 * board's lock by ROLLBACK_SQL.
 */
const ROLLBACK_CANDIDATES_SQL = `select x, y from (
  select distinct p.x, p.y from placements p
  where p.board_id = $1 and p.user_id = $2 and p.seq > $3 and (p.y, p.x) > ($4::int, $5::int)
) c order by y, x limit $6`;

const ROLLBACK_SQL = `select seq, x, y, color, placed_at
from tessera_rollback_pixels($1::text, $2::text, $3::bigint, $4::int[], $5::int[])`;

/**
 * One page of placements packed by the database into a single bytea (see PackedPlacements): the
 * aggregate's ORDER BY makes the record order part of the query, not an accident of the plan.
 * `$5`/`$6` (nullable) keep only placements outside a width × height rectangle.
 */
const PACKED_SQL = `select coalesce(string_agg(int8send((p.seq << 32) | (p.x::bigint << 20) | (p.y << 8) | p.color), ''::bytea order by p.seq), ''::bytea) as records,
  count(*)::int as count, max(p.seq)::float8 as last
from (
  select seq, x, y, color from placements
  where board_id = $1 and seq > $2 and seq <= $3 and ($5::int is null or x >= $5 or y >= $6::int)
  order by seq limit $4
) p`;

/**
 * Binary search for the first seq placed at or after $2 (placed_at never decreases along seq):
 * lo is below it, hi at or above it; each step probes the primary key once.
 */
const FIRST_SEQ_AT_SQL = `with recursive b(lo, hi) as (
  select 0::bigint, seq + 1 from boards where id = $1
  union all
  select case when p.placed_at >= $2 then b.lo else (b.lo + b.hi) / 2 end,
         case when p.placed_at >= $2 then (b.lo + b.hi) / 2 else b.hi end
  from b join placements p on p.board_id = $1 and p.seq = (b.lo + b.hi) / 2
  where b.hi - b.lo > 1
)
select min(hi)::float8 as seq from b`;

const boardColumns = {
  id: boards.id,
  title: boards.title,
  width: boards.width,
  height: boards.height,
  cooldownMs: boards.cooldownMs,
  visibility: boards.visibility,
  state: boards.state,
  createdAt: boards.createdAt,
  createdById: boards.createdBy,
  createdByName: users.name,
  seq: boards.seq,
};

type BoardSelect = {
  id: string;
  title: string;
  width: number;
  height: number;
  cooldownMs: number;
  visibility: "public" | "unlisted";
  state: "open" | "frozen";
  createdAt: number;
  createdById: string | null;
  createdByName: string | null;
  seq: number;
};

function toBoard(r: BoardSelect): BoardRow {
  const { createdById, createdByName, ...rest } = r;
  return { ...rest, createdBy: createdById === null ? null : { id: createdById, name: createdByName ?? "" } };
}

const userColumns = {
  id: users.id,
  name: users.name,
  createdAt: users.createdAt,
  bannedUntil: users.bannedUntil,
  banReason: users.banReason,
  moderator: users.moderator,
  sessionsAfter: users.sessionsAfter,
};

const placementColumns = {
  seq: placements.seq,
  x: placements.x,
  y: placements.y,
  color: placements.color,
  userId: placements.userId,
  placedAt: placements.placedAt,
};

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function isNoBoard(err: unknown): boolean {
  return (err as { code?: string })?.code === "P0002" && /tessera: no board/.test((err as Error).message);
}

class DrizzleStorage implements Storage {
  constructor(
    readonly kind: "postgres" | "pglite",
    private readonly db: AnyDb,
    private readonly raw: RawQuery,
    private readonly onClose: () => Promise<void>,
  ) {}

  // ------------------------------------------------------------------ boards

  private selectBoards() {
    return this.db.select(boardColumns).from(boards).leftJoin(users, eq(users.id, boards.createdBy));
  }

  async syncMainBoard(width: number, height: number, cooldownMs: number): Promise<BoardRow> {
    await this.db
      .insert(boards)
      .values({
        id: "main",
        title: "main",
        width,
        height,
        cooldownMs,
        visibility: "public",
        state: "open",
        createdAt: dbNow as unknown as number,
        createdBy: null,
        seq: 0,
      })
      .onConflictDoNothing();
    // Only when something changed: the update waits for the board's lock behind in-flight commits.
    await this.db
      .update(boards)
      .set({ width, height, cooldownMs })
      .where(
        and(
          eq(boards.id, "main"),
          sql`(${boards.width}, ${boards.height}, ${boards.cooldownMs}) is distinct from (${width}::int, ${height}::int, ${cooldownMs}::int)`,
        ),
      );
    return (await this.getBoard("main"))!;
  }

  async getBoard(id: string): Promise<BoardRow | null> {
    const [row] = await this.selectBoards().where(eq(boards.id, id));
    return row ? toBoard(row as BoardSelect) : null;
  }

  async getBoards(ids: readonly string[]): Promise<BoardRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.selectBoards().where(inArray(boards.id, [...ids]));
    return rows.map((r) => toBoard(r as BoardSelect));
  }

  async listPublicBoards(offset: number, limit: number): Promise<BoardRow[]> {
    const rows = await this.selectBoards()
      .where(eq(boards.visibility, "public"))
      .orderBy(desc(boards.createdAt), desc(boards.id))
      .offset(offset)
      .limit(limit);
    return rows.map((r) => toBoard(r as BoardSelect));
  }

  async createBoard(board: NewBoard, perUserPerDay: number): Promise<CreateBoardResult> {
    const created = await this.db.transaction(async (tx) => {
      // The creator's row lock serialises their creations: the count below is a new statement,
      // so it sees a board the previous lock holder committed.
      const [creator] = await tx.select({ id: users.id }).from(users).where(eq(users.id, board.createdBy)).for("update");
      if (!creator) throw new Error(`createBoard: no user '${board.createdBy}'`);
      const [{ n }] = await tx
        .select({ n: sql<number>`count(*)::int`.mapWith(Number) })
        .from(boards)
        .where(and(eq(boards.createdBy, board.createdBy), sql`${boards.createdAt} > ${dbNow} - ${DAY_MS}`));
      if (n >= perUserPerDay) return "rate_limited" as const;
      const inserted = await tx
        .insert(boards)
        .values({ ...board, state: "open", createdAt: dbNow as unknown as number, seq: 0 })
        .onConflictDoNothing()
        .returning({ id: boards.id });
      return inserted.length === 0 ? ("board_exists" as const) : ("ok" as const);
    });
    if (created !== "ok") return { ok: false, code: created };
    return { ok: true, board: (await this.getBoard(board.id))! };
  }

  async setBoardState(id: string, state: BoardState): Promise<BoardRow | null> {
    const updated = await this.db.update(boards).set({ state }).where(eq(boards.id, id)).returning({ id: boards.id });
    return updated.length === 0 ? null : this.getBoard(id);
  }

  // ------------------------------------------------------------------ placements

  async commitPlacements(boardId: string, requests: readonly PlacementRequest[], opts: CommitOptions): Promise<CommitPlan> {
    if (requests.length === 0) {
      return { decisions: [], accepted: [], touchedUsers: [], nextSeq: await this.currentSeq(boardId) };
    }
    const moderation = opts.moderation ?? false;
    let rows: Record<string, unknown>[];
    try {
      rows = await this.raw("tessera_commit", COMMIT_SQL, [
        boardId,
        requests.map((r) => r.userId),
        requests.map((r) => r.x),
        requests.map((r) => r.y),
        requests.map((r) => r.color),
        opts.cooldownMs,
        moderation,
      ]);
    } catch (err) {
      if (isNoBoard(err)) throw new UnknownBoardError(boardId);
      throw err;
    }
    if (rows.length !== requests.length) throw new Error(`group commit returned ${rows.length} rows for ${requests.length} placements`);
    // The database decided under the board's lock; the pure planner re-derives the decision from
    // what the database saw, and the two must agree code for code and seq for seq.
    const lastPlacedAt = new Map<string, number | null>();
    const bannedUntil = new Map<string, number | null>();
    rows.forEach((row, i) => {
      lastPlacedAt.set(requests[i].userId, numOrNull(row.last));
      bannedUntil.set(requests[i].userId, numOrNull(row.banned_until));
    });
    const plan = planCommit(requests, {
      lastPlacedAt,
      bannedUntil,
      now: num(rows[0].now),
      cooldownMs: opts.cooldownMs,
      baseSeq: num(rows[0].base),
      frozen: rows[0].frozen === true,
      moderation,
    });
    plan.decisions.forEach((d, i) => {
      const seq = numOrNull(rows[i].seq);
      if ((d.ok ? "ok" : d.code) !== rows[i].code || (d.ok ? d.seq : null) !== seq) {
        throw new Error(`group commit disagrees with the plan at ${i}: database ${String(rows[i].code)} seq ${seq}`);
      }
    });
    return plan;
  }

  async placementsAfter(boardId: string, after: number, limit: number): Promise<StoredPlacement[]> {
    return this.db
      .select(placementColumns)
      .from(placements)
      .where(and(eq(placements.boardId, boardId), gt(placements.seq, after)))
      .orderBy(placements.seq)
      .limit(limit);
  }

  async placementsPacked(
    boardId: string,
    after: number,
    through: number,
    limit: number,
    outside?: { width: number; height: number },
  ): Promise<PackedPlacements> {
    const [row] = await this.raw(outside ? "tessera_packed_outside" : "tessera_packed", PACKED_SQL, [
      boardId,
      after,
      through,
      limit,
      outside?.width ?? null,
      outside?.height ?? null,
    ]);
    const count = num(row.count);
    return { records: toBytes(row.records), count, lastSeq: count === 0 ? after : num(row.last) };
  }

  async firstSeqAtOrAfter(boardId: string, atMs: number): Promise<number> {
    const [row] = await this.raw("tessera_first_seq_at", FIRST_SEQ_AT_SQL, [boardId, atMs]);
    if (row?.seq === null || row?.seq === undefined) throw new UnknownBoardError(boardId);
    return num(row.seq);
  }

  async currentSeq(boardId: string): Promise<number> {
    const [row] = await this.db.select({ seq: boards.seq }).from(boards).where(eq(boards.id, boardId));
    if (!row) throw new UnknownBoardError(boardId);
    return row.seq;
  }

  async lastPlacedAt(boardId: string, userId: string): Promise<number | null> {
    const [row] = await this.db
      .select({ at: boardUsers.lastPlacedAt })
      .from(boardUsers)
      .where(and(eq(boardUsers.boardId, boardId), eq(boardUsers.userId, userId)));
    return row?.at ?? null;
  }

  async pixelInfo(boardId: string, x: number, y: number): Promise<PixelInfo | null> {
    const [info] = await this.pixelHistory(boardId, x, y, 1);
    return info ?? null;
  }

  async pixelHistory(boardId: string, x: number, y: number, limit: number): Promise<PixelInfo[]> {
    const rows = await this.db
      .select({ seq: placements.seq, color: placements.color, placedAt: placements.placedAt, userId: placements.userId, name: users.name })
      .from(placements)
      .leftJoin(users, eq(users.id, placements.userId))
      .where(and(eq(placements.boardId, boardId), eq(placements.x, x), eq(placements.y, y)))
      .orderBy(desc(placements.seq))
      .limit(limit);
    return rows.map((r) => ({ x, y, color: r.color, seq: r.seq, user: { id: r.userId, name: r.name ?? "" }, placedAt: r.placedAt }));
  }

  // ------------------------------------------------------------------ snapshots

  async latestSnapshot(boardId: string, atMostSeq?: number): Promise<Snapshot | null> {
    const [row] = await this.db
      .select({ seq: snapshots.seq, width: snapshots.width, height: snapshots.height, pixels: snapshots.pixels })
      .from(snapshots)
      .where(and(eq(snapshots.boardId, boardId), atMostSeq === undefined ? undefined : sql`${snapshots.seq} <= ${atMostSeq}`))
      .orderBy(desc(snapshots.seq))
      .limit(1);
    if (!row) return null;
    const pixels = new Uint8Array(await gunzip(toBytes(row.pixels)));
    if (pixels.length !== row.width * row.height) {
      throw new Error(`snapshot ${boardId}@${row.seq} holds ${pixels.length} bytes for ${row.width}×${row.height}`);
    }
    return { seq: row.seq, width: row.width, height: row.height, pixels };
  }

  async latestSnapshotSeq(boardId: string): Promise<number> {
    const [row] = await this.db
      .select({ seq: snapshots.seq })
      .from(snapshots)
      .where(eq(snapshots.boardId, boardId))
      .orderBy(desc(snapshots.seq))
      .limit(1);
    return row?.seq ?? 0;
  }

  async saveSnapshot(boardId: string, s: Snapshot): Promise<boolean> {
    if (s.pixels.length !== s.width * s.height) throw new Error(`snapshot of ${s.pixels.length} bytes for ${s.width}×${s.height}`);
    // zlib's async API runs on the libuv thread pool: compressing a megabyte never stalls the event loop.
    const packed = new Uint8Array(await gzip(s.pixels));
    const inserted = await this.db
      .insert(snapshots)
      .values({ boardId, seq: s.seq, width: s.width, height: s.height, pixels: packed, createdAt: dbNow as unknown as number })
      .onConflictDoNothing()
      .returning({ seq: snapshots.seq });
    return inserted.length > 0;
  }

  // ------------------------------------------------------------------ users

  async createUser(name: string): Promise<StoredUser> {
    const id = randomBytes(12).toString("base64url");
    const [row] = await this.db
      .insert(users)
      .values({ id, name, createdAt: dbNow as unknown as number })
      .returning(userColumns);
    return row;
  }

  async getUser(id: string): Promise<StoredUser | null> {
    const [row] = await this.db.select(userColumns).from(users).where(eq(users.id, id));
    return row ?? null;
  }

  async setBan(userId: string, until: number | null, reason: string | null): Promise<StoredUser | null> {
    const [row] = await this.db
      .update(users)
      .set({ bannedUntil: until, banReason: until === null ? null : reason })
      .where(eq(users.id, userId))
      .returning(userColumns);
    return row ?? null;
  }

  async setModerator(userId: string, moderator: boolean): Promise<StoredUser | null> {
    const [row] = await this.db.update(users).set({ moderator }).where(eq(users.id, userId)).returning(userColumns);
    return row ?? null;
  }

  async revokeSessions(userId: string): Promise<StoredUser | null> {
    const [row] = await this.db
      .update(users)
      .set({ sessionsAfter: dbNow as unknown as number })
      .where(eq(users.id, userId))
      .returning(userColumns);
    return row ?? null;
  }

  async bannedUsers(): Promise<Array<{ id: string; until: number }>> {
    const rows = await this.db
      .select({ id: users.id, until: users.bannedUntil })
      .from(users)
      .where(sql`${users.bannedUntil} > ${dbNow}`);
    return rows.map((r) => ({ id: r.id, until: r.until! }));
  }

  // ------------------------------------------------------------------ moderation

  async appendModLog(boardId: string, entry: Omit<ModLogEntry, "id" | "at">): Promise<ModLogEntry> {
    const [row] = await this.db
      .insert(modLog)
      .values({ boardId, at: dbNow as unknown as number, actor: entry.actor, action: entry.action, params: entry.params ?? null, result: entry.result ?? null })
      .returning({ id: modLog.id, at: modLog.at, actor: modLog.actor, action: modLog.action, params: modLog.params, result: modLog.result });
    return { ...row, actor: row.actor as ModActor };
  }

  async modLog(boardId: string, before: number | null, limit: number): Promise<ModLogEntry[]> {
    const rows = await this.db
      .select({ id: modLog.id, at: modLog.at, actor: modLog.actor, action: modLog.action, params: modLog.params, result: modLog.result })
      .from(modLog)
      .where(and(eq(modLog.boardId, boardId), before === null ? undefined : lt(modLog.id, before)))
      .orderBy(desc(modLog.id))
      .limit(limit);
    return rows.map((r) => ({ ...r, actor: r.actor as ModActor }));
  }

  async rollbackChunk(
    boardId: string,
    userId: string,
    afterSeq: number,
    after: { x: number; y: number } | null,
    chunkPixels: number,
  ): Promise<{ committed: StoredPlacement[]; next: { x: number; y: number } | null }> {
    let rows: Record<string, unknown>[];
    let candidates: Record<string, unknown>[];
    try {
      candidates = await this.raw("tessera_rollback_candidates", ROLLBACK_CANDIDATES_SQL, [boardId, userId, afterSeq, after?.y ?? -1, after?.x ?? -1, chunkPixels]);
      if (candidates.length === 0) {
        if (!(await this.getBoard(boardId))) throw new UnknownBoardError(boardId);
        return { committed: [], next: null };
      }
      rows = await this.raw("tessera_rollback_pixels", ROLLBACK_SQL, [boardId, userId, afterSeq, candidates.map((c) => num(c.x)), candidates.map((c) => num(c.y))]);
    } catch (err) {
      if (isNoBoard(err)) throw new UnknownBoardError(boardId);
      throw err;
    }
    const committed = rows.map((r) => ({
      seq: num(r.seq),
      x: num(r.x),
      y: num(r.y),
      color: num(r.color),
      userId: MODERATION_USER.id,
      placedAt: num(r.placed_at),
    }));
    // A full page of candidates may have more after it (some candidates may have been someone else's by now).
    const last = candidates[candidates.length - 1];
    return { committed, next: candidates.length === chunkPixels ? { x: num(last.x), y: num(last.y) } : null };
  }

  // ------------------------------------------------------------------ stats

  async topPlacers(boardId: string, sinceMs: number | null, limit: number): Promise<Array<{ user: PublicUser; placements: number }>> {
    let rows: Array<{ id: string; name: string | null; n: number }>;
    if (sinceMs === null) {
      rows = await this.db
        .select({ id: boardUsers.userId, name: users.name, n: boardUsers.placements })
        .from(boardUsers)
        .leftJoin(users, eq(users.id, boardUsers.userId))
        .where(and(eq(boardUsers.boardId, boardId), sql`${boardUsers.userId} <> ${MODERATION_USER.id}`))
        .orderBy(desc(boardUsers.placements), boardUsers.userId)
        .limit(limit);
    } else {
      const from = await this.firstSeqAtOrAfter(boardId, sinceMs);
      const counts = this.db
        .select({ userId: placements.userId, n: sql<number>`count(*)`.as("n") })
        .from(placements)
        .where(and(eq(placements.boardId, boardId), sql`${placements.seq} >= ${from}`, sql`${placements.userId} <> ${MODERATION_USER.id}`))
        .groupBy(placements.userId)
        .as("c");
      rows = await this.db
        .select({ id: counts.userId, name: users.name, n: sql<number>`${counts.n}::float8`.mapWith(Number) })
        .from(counts)
        .leftJoin(users, eq(users.id, counts.userId))
        .orderBy(desc(counts.n), counts.userId)
        .limit(limit);
    }
    return rows.map((r) => ({ user: { id: r.id, name: r.name ?? "" }, placements: Number(r.n) }));
  }

  async userPlacements(boardId: string, userId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: boardUsers.placements })
      .from(boardUsers)
      .where(and(eq(boardUsers.boardId, boardId), eq(boardUsers.userId, userId)));
    return row?.n ?? 0;
  }

  async placementsPerMinute(boardId: string, fromMs: number, toMs: number): Promise<Array<{ minute: number; placements: number }>> {
    if (toMs <= fromMs) return [];
    const first = await this.firstSeqAtOrAfter(boardId, fromMs);
    const end = await this.firstSeqAtOrAfter(boardId, toMs);
    if (end <= first) return [];
    const minute = sql<number>`(${placements.placedAt} / 60000) * 60000`;
    const rows = await this.db
      .select({ minute: sql<number>`(${minute})::float8`.mapWith(Number), n: sql<number>`count(*)::float8`.mapWith(Number) })
      .from(placements)
      .where(
        and(
          eq(placements.boardId, boardId),
          sql`${placements.seq} >= ${first}`,
          sql`${placements.seq} < ${end}`,
          sql`${placements.userId} <> ${MODERATION_USER.id}`,
        ),
      )
      .groupBy(minute)
      .orderBy(minute);
    return rows.map((r) => ({ minute: r.minute, placements: r.n }));
  }

  async ping(): Promise<void> {
    await this.db.execute(sql`select 1`);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

/** bytea arrives as a Buffer from pg and a Uint8Array from PGlite. */
function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new Error(`expected bytea, got ${typeof v}`);
}

// ------------------------------------------------------------------ embedded (PGlite)

export async function openPglite(dataDir: string): Promise<Storage> {
  const unlock = lockDataDir(dataDir);
  try {
    const client = new PGlite(path.join(dataDir, "pglite"));
    await client.waitReady;
    const db = drizzlePglite(client) as unknown as AnyDb;
    await migratePglite(db as never, { migrationsFolder: MIGRATIONS_DIR });
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
  try {
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
  } catch (err) {
    await pool.end();
    throw err;
  }
  // Named: prepared once per pooled connection, then only bound and executed.
  const raw: RawQuery = async (name, text, values) => (await pool.query({ name, text, values })).rows;
  return new DrizzleStorage("postgres", db, raw, () => pool.end());
}
