// The drizzle schema (server-only). One dialect (PostgreSQL) for both PostgreSQL and PGlite.
// Times are stored as epoch milliseconds taken from the database's clock, so every replica
// measures cooldowns against one clock. See docs/ARCHITECTURE.md "Data model".
//
// Every id column (users.id, boards.id, board_id, user_id, created_by) is COLLATE "C" — set in
// drizzle/0001_boards.sql, as drizzle cannot declare it: ids compare byte by byte, not through
// the locale (group commits took half the time).
//
// Foreign keys are left out on purpose: the commit path inserts thousands of rows a second and
// every key check would cost a lookup (and a share lock on the parent row) inside the board lock;
// the only writers are the functions in drizzle/0001_boards.sql and storage.ts.

import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, check, customType, index, integer, jsonb, pgTable, primaryKey, smallint, text } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

/** Epoch ms used as "banned forever" (SPEC §12): far beyond any real date, still exact in a double. */
export const BANNED_FOREVER = 9e15;

/** People who chose a name. */
export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    /** Placements are refused while the database clock is below this (epoch ms); null = not banned. */
    bannedUntil: bigint("banned_until", { mode: "number" }),
    banReason: text("ban_reason"),
    moderator: boolean("moderator").notNull().default(false),
    /** Sessions issued before this epoch ms are revoked (0 = none). */
    sessionsAfter: bigint("sessions_after", { mode: "number" }).notNull().default(0),
  },
  (t) => [index("users_banned").on(t.bannedUntil).where(sql`${t.bannedUntil} is not null`)],
);

/** Boards (SPEC §9). `seq` is the board's dense counter; its row lock serialises the board's commits. */
export const boards = pgTable(
  "boards",
  {
    id: text("id").primaryKey(),
    title: text("title").notNull(),
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    cooldownMs: integer("cooldown_ms").notNull(),
    visibility: text("visibility", { enum: ["public", "unlisted"] }).notNull(),
    state: text("state", { enum: ["open", "frozen"] }).notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    /** The creating user; null for `main`. */
    createdBy: text("created_by"),
    seq: bigint("seq", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    check("boards_visibility", sql`${t.visibility} in ('public', 'unlisted')`),
    check("boards_state", sql`${t.state} in ('open', 'frozen')`),
    index("boards_created_by").on(t.createdBy, t.createdAt),
    index("boards_public_created").on(t.createdAt, t.id).where(sql`${t.visibility} = 'public'`),
  ],
);

/** Every accepted placement, forever: the source of truth boards are rebuilt from. */
export const placements = pgTable(
  "placements",
  {
    boardId: text("board_id").notNull(),
    /** Dense per board, assigned from `boards.seq` under the board's row lock. */
    seq: bigint("seq", { mode: "number" }).notNull(),
    x: integer("x").notNull(),
    y: integer("y").notNull(),
    color: smallint("color").notNull(),
    userId: text("user_id").notNull(),
    /** Database clock at commit; never decreases with seq on one board (tessera_commit ensures it). */
    placedAt: bigint("placed_at", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ name: "placements_pkey", columns: [t.boardId, t.seq] }),
    index("placements_board_xy_seq").on(t.boardId, t.x, t.y, t.seq),
    index("placements_board_user_seq").on(t.boardId, t.userId, t.seq),
  ],
);

/** Per user per board: the cooldown clock and the all-time placement count. */
export const boardUsers = pgTable(
  "board_users",
  {
    boardId: text("board_id").notNull(),
    userId: text("user_id").notNull(),
    lastPlacedAt: bigint("last_placed_at", { mode: "number" }).notNull(),
    placements: bigint("placements", { mode: "number" }).notNull(),
  },
  // No index on the counters: each commit updates a row per placing user, and without one those
  // updates stay heap-only (fillfactor 70 in the migration leaves them room). The all-time
  // ranking sorts a board's rows instead (stats are cached by their callers).
  (t) => [primaryKey({ name: "board_users_pkey", columns: [t.boardId, t.userId] })],
);

/** A board after every placement with seq ≤ `seq`: gzip of the row-major bytes, `width`×`height`. */
export const snapshots = pgTable(
  "snapshots",
  {
    boardId: text("board_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    pixels: bytea("pixels").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ name: "snapshots_pkey", columns: [t.boardId, t.seq] })],
);

/** The moderation audit log (SPEC §12). */
export const modLog = pgTable(
  "mod_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    boardId: text("board_id").notNull(),
    at: bigint("at", { mode: "number" }).notNull(),
    actor: jsonb("actor").notNull(),
    action: text("action").notNull(),
    params: jsonb("params").notNull(),
    result: jsonb("result").notNull(),
  },
  (t) => [index("mod_log_board_id").on(t.boardId, t.id.desc())],
);
