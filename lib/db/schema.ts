// The drizzle schema (server-only). One dialect (PostgreSQL) for both PostgreSQL and PGlite.
// Times are stored as epoch milliseconds taken from the database's clock, so every replica
// measures cooldowns against one clock.

import { bigint, index, integer, pgTable, smallint, text } from "drizzle-orm/pg-core";

/** People who chose a name. The cooldown state lives here, updated in the placing transaction. */
export const users = pgTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  /** Epoch ms of this user's last accepted placement (database clock), null before the first. */
  lastPlacedAt: bigint("last_placed_at", { mode: "number" }),
});

/** Every accepted placement, forever: the source of truth the board is rebuilt from. */
export const placements = pgTable(
  "placements",
  {
    /** Dense per-canvas sequence number, assigned from `canvas_meta.seq` in the committing transaction. */
    seq: bigint("seq", { mode: "number" }).primaryKey(),
    x: integer("x").notNull(),
    y: integer("y").notNull(),
    color: smallint("color").notNull(),
    userId: text("user_id").notNull(),
    placedAt: bigint("placed_at", { mode: "number" }).notNull(),
  },
  (t) => [index("placements_xy_seq").on(t.x, t.y, t.seq)],
);

/** One row (id = 1): the canvas's seq counter. Its row lock serialises commits, which keeps seq dense. */
export const canvasMeta = pgTable("canvas_meta", {
  id: integer("id").primaryKey(),
  seq: bigint("seq", { mode: "number" }).notNull(),
});
