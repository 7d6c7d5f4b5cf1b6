// Upgrading a revision 1 database: build one exactly as revision 1 made it (only migration 0000,
// rows written by revision 1's own statements), open it with today's code (which applies 0001),
// and check that every placement, the seq, every cooldown and every user came through into the
// board `main` — on PGlite and on PostgreSQL.

import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openPglite, openPostgres, type Storage } from "../server/canvas/storage";
import { MODERATION_USER } from "../server/canvas/store";
import { prng } from "./prng";
import { BACKENDS, type BackendKind, freshPostgresUrl, dropDatabases, tempDir } from "./storage-backends";

afterAll(dropDatabases);

const DRIZZLE_DIR = path.join(import.meta.dirname, "..", "drizzle");

/** A migrations folder holding only revision 1's migration, with its journal entry as shipped. */
function revision1Migrations(): string {
  const dir = tempDir("tessera-migrations-");
  fs.mkdirSync(path.join(dir, "meta"));
  fs.copyFileSync(path.join(DRIZZLE_DIR, "0000_init.sql"), path.join(dir, "0000_init.sql"));
  const journal = JSON.parse(fs.readFileSync(path.join(DRIZZLE_DIR, "meta", "_journal.json"), "utf8"));
  const entry = journal.entries.find((e: { tag: string }) => e.tag === "0000_init");
  fs.writeFileSync(path.join(dir, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: [entry] }));
  return dir;
}

// Revision 1's statements, verbatim: its group commit (server/storage.ts at revision 1), its user
// insert and its counter row.
const R1_COMMIT_GROUP_SQL = `
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
const R1_CREATE_USER_SQL = `insert into "users" ("id", "name", "created_at", "last_placed_at") values ($1, $2, (extract(epoch from clock_timestamp()) * 1000)::bigint, default)`;
const R1_META_ROW_SQL = `insert into "canvas_meta" ("id", "seq") values (1, 0) on conflict do nothing`;

type Query = (text: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

interface R1State {
  seq: number;
  placements: Array<{ seq: number; x: number; y: number; color: number; userId: string; placedAt: number }>;
  users: Array<{ id: string; name: string; createdAt: number; lastPlacedAt: number | null }>;
}

/** Fill a revision 1 database the way revision 1 did: users, then group commits (some with a cooldown). */
async function fillRevision1(q: Query): Promise<R1State> {
  await q(R1_META_ROW_SQL);
  const rand = prng(2024);
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) {
    const id = `r1user${String(i).padStart(10, "0")}`;
    await q(R1_CREATE_USER_SQL, [id, `person ${i}`]);
    ids.push(id);
  }
  for (let g = 0; g < 30; g++) {
    const n = 1 + Math.floor(rand() * 60);
    // Users 30…39 never place; a few groups use a cooldown so that some requests are refused.
    const group = Array.from({ length: n }, () => ({ u: ids[Math.floor(rand() * 30)], x: Math.floor(rand() * 1000), y: Math.floor(rand() * 1000), c: Math.floor(rand() * 32) }));
    await q(R1_COMMIT_GROUP_SQL, [group.map((r) => r.u), group.map((r) => r.x), group.map((r) => r.y), group.map((r) => r.c), g % 5 === 0 ? 60_000 : 0]);
  }
  const [meta] = await q(`select seq::float8 as seq from canvas_meta where id = 1`);
  const placements = (await q(`select seq::float8 as seq, x, y, color, user_id, placed_at::float8 as placed_at from placements order by seq`)).map((r) => ({
    seq: Number(r.seq),
    x: Number(r.x),
    y: Number(r.y),
    color: Number(r.color),
    userId: String(r.user_id),
    placedAt: Number(r.placed_at),
  }));
  const users = (await q(`select id, name, created_at::float8 as created_at, last_placed_at::float8 as last from users order by id`)).map((r) => ({
    id: String(r.id),
    name: String(r.name),
    createdAt: Number(r.created_at),
    lastPlacedAt: r.last === null ? null : Number(r.last),
  }));
  return { seq: Number(meta.seq), placements, users };
}

async function revision1Database(kind: BackendKind): Promise<{ location: string; state: R1State }> {
  const migrationsFolder = revision1Migrations();
  if (kind === "pglite") {
    const dir = tempDir();
    const client = new PGlite(path.join(dir, "pglite"));
    await client.waitReady;
    await migratePglite(drizzlePglite(client) as never, { migrationsFolder });
    const state = await fillRevision1(async (text, params) => (await client.query<Record<string, unknown>>(text, params)).rows);
    await client.close();
    return { location: dir, state };
  }
  const url = await freshPostgresUrl();
  const pool = new pg.Pool({ connectionString: url });
  try {
    await migratePg(drizzlePg(pool) as never, { migrationsFolder });
    const state = await fillRevision1(async (text, params) => (await pool.query(text, params)).rows);
    return { location: url, state };
  } finally {
    await pool.end();
  }
}

/** What the upgraded database holds outside the Storage interface (tables gone, columns gone). */
async function catalog(kind: BackendKind, location: string): Promise<{ canvasMeta: boolean; usersColumns: string[]; migrations: number; bytewise: string[] }> {
  const text = [
    `select to_regclass('public.canvas_meta') is not null as canvas_meta`,
    `select string_agg(column_name, ',' order by column_name) as cols from information_schema.columns where table_schema = 'public' and table_name = 'users'`,
    `select count(*)::int as n from drizzle.__drizzle_migrations`,
    `select string_agg(table_name || '.' || column_name, ',' order by table_name, column_name) as cols from information_schema.columns where table_schema = 'public' and collation_name = 'C'`,
  ];
  const rows: Array<Record<string, unknown>> = [];
  if (kind === "pglite") {
    const client = new PGlite(path.join(location, "pglite"));
    await client.waitReady;
    for (const t of text) rows.push((await client.query<Record<string, unknown>>(t)).rows[0]);
    await client.close();
  } else {
    const c = new pg.Client({ connectionString: location });
    await c.connect();
    for (const t of text) rows.push((await c.query(t)).rows[0]);
    await c.end();
  }
  return {
    canvasMeta: rows[0].canvas_meta === true,
    usersColumns: String(rows[1].cols).split(","),
    migrations: Number(rows[2].n),
    bytewise: String(rows[3].cols).split(","),
  };
}

for (const kind of BACKENDS) {
  describe(`upgrading a revision 1 database on ${kind}`, () => {
    it("carries every placement, the seq, every cooldown and every user into board main", async () => {
      const { location, state } = await revision1Database(kind);
      // The fixture is what it should be: a dense history, refused requests, idle users.
      expect(state.placements.map((p) => p.seq)).toEqual(state.placements.map((_, i) => i + 1));
      expect(state.seq).toBe(state.placements.length);
      expect(state.users.filter((u) => u.lastPlacedAt === null).length).toBeGreaterThanOrEqual(10);

      const storage: Storage = kind === "pglite" ? await openPglite(location) : await openPostgres(location, () => {});
      try {
        const main = await storage.getBoard("main");
        expect(main).toMatchObject({ id: "main", seq: state.seq, visibility: "public", state: "open", createdBy: null });
        expect(await storage.currentSeq("main")).toBe(state.seq);
        expect(await storage.placementsAfter("main", 0, 1_000_000)).toEqual(state.placements);

        for (const u of state.users) {
          expect(await storage.getUser(u.id)).toEqual({
            id: u.id,
            name: u.name,
            createdAt: u.createdAt,
            bannedUntil: null,
            banReason: null,
            moderator: false,
            sessionsAfter: 0,
          });
          expect(await storage.lastPlacedAt("main", u.id)).toBe(u.lastPlacedAt);
          expect(await storage.userPlacements("main", u.id)).toBe(state.placements.filter((p) => p.userId === u.id).length);
        }
        expect(await storage.getUser(MODERATION_USER.id)).toMatchObject(MODERATION_USER);

        // The history goes on where it stopped, and the carried cooldowns hold.
        const recent = state.users.reduce((a, b) => ((b.lastPlacedAt ?? 0) > (a.lastPlacedAt ?? 0) ? b : a));
        const idle = state.users.find((u) => u.lastPlacedAt === null)!;
        const plan = await storage.commitPlacements(
          "main",
          [
            { userId: recent.id, x: 0, y: 0, color: 1 },
            { userId: idle.id, x: 1, y: 0, color: 2 },
          ],
          { cooldownMs: 3_600_000 },
        );
        expect(plan.decisions[0]).toMatchObject({ ok: false, code: "cooldown", cooldownUntil: recent.lastPlacedAt! + 3_600_000 });
        expect(plan.decisions[1]).toMatchObject({ ok: true, seq: state.seq + 1 });
      } finally {
        await storage.close();
      }
      const after = await catalog(kind, location);
      expect(after.canvasMeta).toBe(false);
      expect(after.usersColumns).toEqual(["ban_reason", "banned_until", "created_at", "id", "moderator", "name", "sessions_after"]);
      expect(after.migrations).toBe(2);
      // Ids compare byte by byte (the indexes of the commit path depend on it).
      expect(after.bytewise).toEqual([
        "board_users.board_id",
        "board_users.user_id",
        "boards.created_by",
        "boards.id",
        "mod_log.board_id",
        "placements.board_id",
        "placements.user_id",
        "snapshots.board_id",
        "users.id",
      ]);
    }, 120_000); // three embedded databases opened one after the other: slow on a busy machine
  });
}

describe("upgrading on PostgreSQL with two replicas starting at once", () => {
  it("migrates once under the advisory lock; both open the upgraded database", async () => {
    const { location, state } = await revision1Database("postgres");
    const [a, b] = await Promise.all([openPostgres(location, () => {}), openPostgres(location, () => {})]);
    try {
      expect(await a.currentSeq("main")).toBe(state.seq);
      expect(await b.placementsAfter("main", 0, 1_000_000)).toEqual(state.placements);
    } finally {
      await a.close();
      await b.close();
    }
    expect((await catalog("postgres", location)).migrations).toBe(2);
  }, 60_000);
});
