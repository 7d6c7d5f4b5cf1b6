// Moderation (SPEC §12) over real sockets: the admin API, who may moderate, freeze, wipe, rollback
// checked against a replay computed here, bans decided by the database, and the audit log — on one
// replica; then bans, rollback, wipe and freeze across two replica processes sharing a private
// PostgreSQL and a real redis-server; and the ack latency of normal users while a rollback of a
// user with 100,000 placements runs (printed, not asserted).

import pg from "pg";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODERATION_CHUNK_PIXELS } from "../lib/limits";
import type { ServerMessage } from "../lib/protocol";
import { createBoard, newSession, startTestServer, TestClient, waitFor } from "./helpers";
import { PrivatePostgres } from "./private-postgres";
import { health, RedisProcess, ReplicaProcess } from "./processes";
import { prng } from "./prng";

const ADMIN = "admin-token-for-tests-0123456789abcdef";
const SEED = Number(process.env.TEST_SEED ?? 12_012);

interface P {
  seq: number;
  x: number;
  y: number;
  color: number;
  userId: string;
}

async function post(base: string, path: string, body: unknown, auth: { cookie?: string; token?: string; origin?: string } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.origin) headers.origin = auth.origin;
  const res = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function get(base: string, path: string, auth: { cookie?: string; token?: string } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  const res = await fetch(`${base}${path}`, { headers });
  return { status: res.status, body: await res.json() };
}

async function putPixel(base: string, board: string, cookie: string, x: number, y: number, color: number): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/boards/${board}/pixel`, { method: "PUT", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ x, y, color }) });
  return { status: res.status, body: await res.json() };
}

/** Every placement of a board, through the JSON placements API. */
async function history(base: string, board: string): Promise<P[]> {
  const out: P[] = [];
  let after: number | null = 0;
  while (after !== null) {
    const page: { placements: P[]; next: number | null } = await (await fetch(`${base}/api/boards/${board}/placements?after=${after}&limit=100000`, { headers: { accept: "application/json" } })).json();
    out.push(...page.placements);
    after = page.next;
  }
  return out;
}

function replay(all: Array<Pick<P, "seq" | "x" | "y" | "color">>, w: number, h: number): Uint8Array {
  const b = new Uint8Array(w * h);
  for (const p of [...all].sort((a, c) => a.seq - c.seq)) b[p.y * w + p.x] = p.color;
  return b;
}

/** SPEC §12: each pixel whose latest placement is the user's with seq > afterSeq goes back to its latest placement by anyone else (0 if none). */
function expectedRollback(all: P[], w: number, h: number, userId: string, afterSeq: number): { board: Uint8Array; reverted: number } {
  const latest = new Map<number, P>();
  const latestOther = new Map<number, P>();
  for (const p of [...all].sort((a, c) => a.seq - c.seq)) {
    const i = p.y * w + p.x;
    latest.set(i, p);
    if (p.userId !== userId) latestOther.set(i, p);
  }
  const board = replay(all, w, h);
  let reverted = 0;
  for (const [i, p] of latest) {
    if (p.userId === userId && p.seq > afterSeq) {
      board[i] = latestOther.get(i)?.color ?? 0;
      reverted++;
    }
  }
  return { board, reverted };
}

async function canvas(base: string, board: string): Promise<{ bytes: Uint8Array; seq: number }> {
  const res = await fetch(`${base}/api/boards/${board}/canvas`);
  return { bytes: new Uint8Array(await res.arrayBuffer()), seq: Number(res.headers.get("x-canvas-seq")) };
}

/**
 * The board once its body includes `seq`. GET …/canvas may answer with the body built up to one
 * fan-out tick earlier (SPEC §3: X-Canvas-Seq says what it includes), so a read right after a write
 * waits for the body that has it.
 */
async function canvasThrough(base: string, board: string, seq: number): Promise<{ bytes: Uint8Array; seq: number }> {
  return waitFor(async () => {
    const c = await canvas(base, board);
    return c.seq >= seq ? c : null;
  }, 5_000, `${board}'s body through seq ${seq}`);
}

/** A client's own drawing of a board it followed from seq 0: its PIXELS records, last writer wins. */
function drawn(c: TestClient, w: number, h: number): Uint8Array {
  return replay(c.records, w, h);
}

/** Open a socket and report how it ended: the welcome, or a close code before any welcome. */
async function tryConnect(base: string, cookie: string, board: string): Promise<{ welcome: boolean; closeCode: number | null }> {
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws?board=${board}`, { headers: { cookie } });
  let welcome = false;
  let closeCode: number | null = null;
  ws.on("message", (d, binary) => {
    if (!binary && (JSON.parse(d.toString()) as ServerMessage).type === "welcome") welcome = true;
  });
  ws.on("close", (code) => (closeCode = code));
  ws.on("error", () => {});
  await waitFor(() => welcome || closeCode !== null, 5_000, "welcome or close");
  ws.close();
  return { welcome, closeCode };
}

describe("moderation on one replica", () => {
  let srv: Awaited<ReturnType<typeof startTestServer>>;
  let admin: { token: string };
  let mod: { user: { id: string; name: string }; cookie: string };
  let plain: { user: { id: string; name: string }; cookie: string };
  const clients: TestClient[] = [];
  const W = 100;
  const H = 80;

  beforeAll(async () => {
    srv = await startTestServer({ env: { ADMIN_TOKEN: ADMIN, BOARDS_PER_USER_PER_DAY: "100" } });
    admin = { token: ADMIN };
    mod = await newSession(srv.url, "mod");
    plain = await newSession(srv.url, "plain");
    expect((await createBoard(srv.url, plain.cookie, { id: "m1", title: "M1", width: W, height: H, cooldownMs: 0 })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  it("grants and takes back moderation with the admin token only", async () => {
    expect((await post(srv.url, "/api/admin/moderators", { userId: mod.user.id })).status).toBe(401);
    const wrong = await post(srv.url, "/api/admin/moderators", { userId: mod.user.id }, { token: "x".repeat(40) });
    expect([wrong.status, wrong.body.error.code]).toEqual([403, "forbidden"]);
    // A moderator's cookie is not the admin token.
    expect((await post(srv.url, "/api/admin/moderators", { userId: plain.user.id }, { cookie: mod.cookie })).status).toBe(401);
    const bad = await post(srv.url, "/api/admin/moderators", { userId: "no spaces allowed" }, admin);
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_user"]);
    const missing = await post(srv.url, "/api/admin/moderators", { userId: "nobody-at-all" }, admin);
    expect([missing.status, missing.body.error.code]).toEqual([404, "no_user"]);

    const granted = await post(srv.url, "/api/admin/moderators", { userId: mod.user.id }, admin);
    expect(granted).toEqual({ status: 200, body: { user: mod.user, moderator: true } });
    // Seen at once (the user_changed event drops the cached user), not after the cache expires.
    expect((await get(srv.url, "/api/session", { cookie: mod.cookie })).body.moderator).toBe(true);

    await post(srv.url, "/api/admin/moderators", { userId: plain.user.id }, admin);
    expect((await get(srv.url, "/api/session", { cookie: plain.cookie })).body.moderator).toBe(true);
    const del = await fetch(`${srv.url}/api/admin/moderators/${plain.user.id}`, { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(await del.json()).toEqual({ user: plain.user, moderator: false });
    expect((await get(srv.url, "/api/session", { cookie: plain.cookie })).body.moderator).toBe(false);
    expect((await fetch(`${srv.url}/api/admin/moderators/${plain.user.id}`, { method: "DELETE" })).status).toBe(401);
  });

  it("lets only moderators and the admin token act: 401 no_session, 403 forbidden, same-site for cookies", async () => {
    const body = { frozen: false };
    const none = await post(srv.url, "/api/boards/m1/mod/freeze", body);
    expect([none.status, none.body.error.code]).toEqual([401, "no_session"]);
    const notMod = await post(srv.url, "/api/boards/m1/mod/freeze", body, { cookie: plain.cookie });
    expect([notMod.status, notMod.body.error.code]).toEqual([403, "forbidden"]);
    for (const path of ["ban", "unban", "rollback", "wipe"]) {
      expect((await post(srv.url, `/api/boards/m1/mod/${path}`, { userId: plain.user.id, reason: "x", x0: 0, y0: 0, x1: 0, y1: 0, color: 1 }, { cookie: plain.cookie })).status, path).toBe(403);
    }
    expect((await get(srv.url, "/api/boards/m1/mod/log", { cookie: plain.cookie })).status).toBe(403);
    expect((await get(srv.url, "/api/boards/m1/mod/log")).status).toBe(401);
    const crossSite = await post(srv.url, "/api/boards/m1/mod/freeze", body, { cookie: mod.cookie, origin: "http://evil.example" });
    expect([crossSite.status, crossSite.body.error.code]).toEqual([403, "forbidden_origin"]);
    expect((await post(srv.url, "/api/boards/m1/mod/freeze", body, { token: "y".repeat(40) })).status).toBe(403);
    // The admin token needs no same-site check: browsers never attach it by themselves.
    expect((await post(srv.url, "/api/boards/m1/mod/freeze", body, { token: ADMIN, origin: "http://evil.example" })).status).toBe(200);
    expect((await post(srv.url, "/api/boards/m1/mod/freeze", body, { cookie: mod.cookie })).status).toBe(200);
    expect((await post(srv.url, "/api/boards/nope/mod/freeze", body, { cookie: mod.cookie })).status).toBe(404);
  });

  it("refuses bad bodies with a clear error and changes nothing", async () => {
    const before = await canvas(srv.url, "m1");
    for (const [path, body, code] of [
      ["wipe", { x0: 0, y0: 0, x1: W, y1: 0, color: 1 }, "invalid_rect"],
      ["wipe", { x0: 5, y0: 0, x1: 4, y1: 0, color: 1 }, "invalid_rect"],
      ["wipe", { x0: 0, y0: 0, x1: 1, y1: 1, color: 32 }, "invalid_rect"],
      ["wipe", { x0: 0, y0: 0, x1: 1 }, "invalid_rect"],
      ["ban", { userId: plain.user.id }, "invalid_ban"],
      ["ban", { userId: plain.user.id, reason: "x".repeat(201) }, "invalid_ban"],
      ["ban", { userId: plain.user.id, reason: "spam", durationMs: -5 }, "invalid_ban"],
      ["ban", { userId: "moderation", reason: "no" }, "invalid_user"],
      ["ban", { userId: "ghost-user", reason: "no" }, "no_user"],
      ["rollback", { userId: plain.user.id, afterSeq: 1.5 }, "invalid_rollback"],
      ["freeze", { frozen: "yes" }, "invalid_freeze"],
    ] as const) {
      const r = await post(srv.url, `/api/boards/m1/mod/${path}`, body, { cookie: mod.cookie });
      expect([r.status, r.body.error?.code], `${path} ${JSON.stringify(body)}`).toEqual([code === "no_user" ? 404 : 400, code]);
    }
    const big = await createBoard(srv.url, plain.cookie, { id: "big-wipe", title: "Big", width: 1024, height: 1024, cooldownMs: 0 });
    expect(big.status).toBe(201);
    const tooMany = await post(srv.url, "/api/boards/big-wipe/mod/wipe", { x0: 0, y0: 0, x1: 1023, y1: 1000, color: 3 }, { cookie: mod.cookie });
    expect([tooMany.status, tooMany.body.error.code]).toEqual([400, "invalid_rect"]);
    expect(tooMany.body.error.message).toContain("1000000");
    expect(await canvas(srv.url, "m1")).toEqual(before);
  });

  it("freezes a board (placements refused with `frozen`) and opens it again", async () => {
    const c = await TestClient.connect(srv.url, plain.cookie, {}, "m1");
    clients.push(c);
    expect((await post(srv.url, "/api/boards/m1/mod/freeze", { frozen: true }, { cookie: mod.cookie })).body).toEqual({ state: "frozen" });
    expect((await get(srv.url, "/api/boards/m1")).body.board.state).toBe("frozen");
    const r = await c.place(1, 1, 1);
    expect(r.type === "reject" && r.code).toBe("frozen");
    const http = await putPixel(srv.url, "m1", plain.cookie, 1, 1, 1);
    expect([http.status, http.body.error.code]).toEqual([409, "frozen"]);
    expect((await post(srv.url, "/api/boards/m1/mod/freeze", { frozen: false }, { cookie: mod.cookie })).body).toEqual({ state: "open" });
    expect((await c.place(1, 1, 1)).type).toBe("ack");
  });

  it("wipes a rectangle as placements of the moderation user, seen by every client", async () => {
    const watcher = await TestClient.connect(srv.url, plain.cookie, {}, "m1");
    clients.push(watcher);
    const before = await canvas(srv.url, "m1");
    const rect = { x0: 10, y0: 5, x1: 39, y1: 24 }; // 600 pixels
    const r = await post(srv.url, "/api/boards/m1/mod/wipe", { ...rect, color: 9 }, { cookie: mod.cookie });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ pixels: 600, firstSeq: before.seq + 1, lastSeq: before.seq + 600 });
    const after = await canvasThrough(srv.url, "m1", before.seq + 600);
    expect(after.seq).toBe(before.seq + 600);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inside = x >= rect.x0 && x <= rect.x1 && y >= rect.y0 && y <= rect.y1;
        expect(after.bytes[y * W + x]).toBe(inside ? 9 : before.bytes[y * W + x]);
      }
    }
    await watcher.waitForSeqs(Array.from({ length: 600 }, (_, i) => before.seq + 1 + i));
    const info = await get(srv.url, "/api/boards/m1/pixel?x=10&y=5");
    expect(info.body.user).toEqual({ id: "moderation", name: "moderation" });
  });

  it("rolls a user back over several chunks exactly as a replay predicts, others' later pixels kept", async () => {
    const board = "m2";
    // Bigger than m1: enough of the griefer's pixels survive the first rollback to need several chunks in the second.
    const W = 200;
    const H = 150;
    expect((await createBoard(srv.url, plain.cookie, { id: board, title: "M2", width: W, height: H, cooldownMs: 0 })).status).toBe(201);
    const griefer = await newSession(srv.url, "griefer");
    const others = [plain, await newSession(srv.url, "other")];
    const watcher = await TestClient.connect(srv.url, others[1].cookie, {}, board);
    clients.push(watcher);
    const rand = prng(SEED);
    const paint = async (user: { user: { id: string } }, n: number) => {
      const requests = Array.from({ length: n }, () => ({ userId: user.user.id, x: Math.floor(rand() * W), y: Math.floor(rand() * H), color: 1 + Math.floor(rand() * 31) }));
      // Written in bulk through the board's queue (as these users), so rooms and clients see them as usual.
      await srv.service.runTask(board, () => srv.service.commitModeration(board, user.user as { id: string; name: string }, requests));
    };
    await paint(others[0], 3_000);
    await paint(griefer, 12_000);
    const mark = (await canvas(srv.url, board)).seq;
    await paint(others[1], 1_500);
    await paint(griefer, 2_000);
    // And a few over the sockets, interleaved, as people do.
    const gc = await TestClient.connect(srv.url, griefer.cookie, {}, board);
    const oc = await TestClient.connect(srv.url, others[0].cookie, {}, board);
    clients.push(gc, oc);
    for (let i = 0; i < 30; i++) {
      expect((await gc.place(i, 0, 4)).type).toBe("ack");
      if (i % 3 === 0) expect((await oc.place(i, 0, 7)).type).toBe("ack");
    }

    // afterSeq: only what the griefer did after `mark` is undone.
    const all = await history(srv.url, board);
    const want = expectedRollback(all, W, H, griefer.user.id, mark);
    const seqBefore = all.length;
    const r = await post(srv.url, `/api/boards/${board}/mod/rollback`, { userId: griefer.user.id, afterSeq: mark }, { cookie: mod.cookie });
    expect(r.status).toBe(200);
    expect(want.reverted).toBeGreaterThan(0);
    expect(r.body).toEqual({ reverted: want.reverted, firstSeq: seqBefore + 1, lastSeq: seqBefore + want.reverted });
    expect((await canvasThrough(srv.url, board, seqBefore + want.reverted)).bytes).toEqual(want.board);

    // Then everything the griefer ever did: more than one chunk.
    const all2 = await history(srv.url, board);
    const want2 = expectedRollback(all2, W, H, griefer.user.id, 0);
    expect(want2.reverted).toBeGreaterThan(MODERATION_CHUNK_PIXELS);
    const r2 = await post(srv.url, `/api/boards/${board}/mod/rollback`, { userId: griefer.user.id }, { token: ADMIN });
    expect(r2.body).toEqual({ reverted: want2.reverted, firstSeq: all2.length + 1, lastSeq: all2.length + want2.reverted });
    const final = await canvasThrough(srv.url, board, all2.length + want2.reverted);
    expect(final.bytes).toEqual(want2.board);
    // The rollback's placements are history like any other: replaying them gives the same board.
    expect(replay(await history(srv.url, board), W, H)).toEqual(final.bytes);
    // Every client drew the same board from what it was sent.
    for (const c of [watcher, gc, oc]) {
      await waitFor(() => c.seqs.size >= final.seq - (c.welcome.seq ?? 0), 10_000, "client caught up");
    }
    await watcher.waitForSeqs(Array.from({ length: final.seq - watcher.welcome.seq }, (_, i) => watcher.welcome.seq + 1 + i), 10_000);
    const atWelcome = new Uint8Array(await (await fetch(`${srv.url}/api/boards/${board}/canvas?seq=${watcher.welcome.seq}`)).arrayBuffer());
    const mine = atWelcome.slice();
    for (const rec of [...watcher.records].sort((a, b) => a.seq - b.seq)) mine[rec.y * W + rec.x] = rec.color;
    expect(mine).toEqual(final.bytes);
    // Nothing left to roll back.
    expect((await post(srv.url, `/api/boards/${board}/mod/rollback`, { userId: griefer.user.id }, { cookie: mod.cookie })).body).toEqual({ reverted: 0, firstSeq: null, lastSeq: null });
  }, 60_000);

  it("refuses a banned user's placements when the database says so, even if this replica missed the ban", async () => {
    const u = await newSession(srv.url, "sneaky");
    const c = await TestClient.connect(srv.url, u.cookie, {}, "m1");
    clients.push(c);
    expect((await c.place(2, 2, 2)).type).toBe("ack");
    // As if the ban event never arrived (Redis down): only the database knows.
    await srv.storage.setBan(u.user.id, Date.now() + 60_000, "missed event");
    const r = await c.place(2, 3, 2);
    expect(r.type === "reject" && r.code).toBe("banned");
    const http = await putPixel(srv.url, "m1", u.cookie, 2, 3, 2);
    expect([http.status, http.body.error.code]).toEqual([403, "banned"]);
    expect((await post(srv.url, "/api/boards/m1/mod/unban", { userId: u.user.id }, { cookie: mod.cookie })).status).toBe(200);
    expect((await c.place(2, 3, 2)).type).toBe("ack");
  });

  it("bans with a duration: the tab closes with 4003, new connections are refused, unban restores", async () => {
    const u = await newSession(srv.url, "tempbanned");
    const tabs = [await TestClient.connect(srv.url, u.cookie, {}, "m1"), await TestClient.connect(srv.url, u.cookie)];
    clients.push(...tabs);
    const r = await post(srv.url, "/api/boards/m1/mod/ban", { userId: u.user.id, reason: "  spam bot  ", durationMs: 3_600_000 }, { cookie: mod.cookie });
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual(u.user);
    expect(r.body.until).toBeGreaterThan(Date.now() + 3_500_000);
    for (const t of tabs) expect(await t.waitClosed()).toBe(4003);
    expect(await tryConnect(srv.url, u.cookie, "m1")).toEqual({ welcome: false, closeCode: 4003 });
    expect((await putPixel(srv.url, "m1", u.cookie, 0, 0, 1)).status).toBe(403);
    expect((await post(srv.url, "/api/boards/m1/mod/unban", { userId: u.user.id }, { cookie: mod.cookie })).status).toBe(200);
    expect((await tryConnect(srv.url, u.cookie, "m1")).welcome).toBe(true);
    expect((await putPixel(srv.url, "m1", u.cookie, 0, 0, 1)).status).toBe(200);
  });

  it("keeps every action in the audit log, newest first, paged", async () => {
    const page1 = await get(srv.url, "/api/boards/m1/mod/log?limit=3", { cookie: mod.cookie });
    expect(page1.status).toBe(200);
    expect(page1.body.entries).toHaveLength(3);
    const all = [...page1.body.entries];
    let next = page1.body.next;
    while (next !== null) {
      const p = await get(srv.url, `/api/boards/m1/mod/log?limit=3&after=${next}`, { token: ADMIN });
      all.push(...p.body.entries);
      next = p.body.next;
    }
    const actions = all.map((e) => e.action);
    // m1's actions in order: two unfreezes by admin and moderator, freeze, unfreeze, wipe, unban, ban, unban.
    expect(actions.reverse()).toEqual(["unfreeze", "unfreeze", "freeze", "unfreeze", "wipe", "unban", "ban", "unban"]);
    const byAction = (a: string) => all.filter((e) => e.action === a);
    expect(byAction("wipe")[0]).toMatchObject({ actor: mod.user, params: { x0: 10, y0: 5, x1: 39, y1: 24, color: 9 }, result: { pixels: 600 } });
    expect(byAction("ban")[0]).toMatchObject({ actor: mod.user, params: { reason: "spam bot", durationMs: 3_600_000 } });
    expect(all.at(-1)).toMatchObject({ actor: { admin: true }, action: "unfreeze" });
    for (const e of all) expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    const m2 = await get(srv.url, "/api/boards/m2/mod/log", { cookie: mod.cookie });
    expect(m2.body.entries.map((e: { action: string }) => e.action)).toEqual(["rollback", "rollback", "rollback"]);
    expect(m2.body.entries[1]).toMatchObject({ actor: { admin: true }, params: { afterSeq: 0 } });
    // Moderator grants are recorded on `main`.
    const main = await get(srv.url, "/api/boards/main/mod/log", { token: ADMIN });
    expect(main.body.entries.map((e: { action: string }) => e.action)).toEqual(["moderator_revoke", "moderator_grant", "moderator_grant"]);
  });
});

describe("moderation without ADMIN_TOKEN", () => {
  it("has no admin API", async () => {
    const srv = await startTestServer();
    try {
      const s = await newSession(srv.url, "someone");
      expect((await post(srv.url, "/api/admin/moderators", { userId: s.user.id }, { token: ADMIN })).status).toBe(404);
      expect((await fetch(`${srv.url}/api/admin/moderators/${s.user.id}`, { method: "DELETE" })).status).toBe(404);
      // And no token is the admin token.
      expect((await post(srv.url, "/api/boards/main/mod/freeze", { frozen: true }, { token: ADMIN })).status).toBe(403);
    } finally {
      await srv.close();
    }
  });
});

describe("moderation across two replicas", () => {
  let pgCluster: PrivatePostgres;
  let dbUrl: string;
  let redis: RedisProcess;
  let a: ReplicaProcess;
  let b: ReplicaProcess;
  let mod: { user: { id: string; name: string }; cookie: string };
  const clients: TestClient[] = [];
  const connect = async (r: ReplicaProcess, cookie: string, board: string) => {
    const c = await TestClient.connect(r.url, cookie, {}, board);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    pgCluster = await PrivatePostgres.start();
    dbUrl = await pgCluster.createDatabase("tessera_moderation");
    redis = await RedisProcess.start();
    const env = {
      DATABASE_URL: dbUrl,
      REDIS_URL: redis.url,
      SESSION_SECRET: "moderation-cluster-secret-0123456789",
      ADMIN_TOKEN: ADMIN,
      COOLDOWN_MS: "0",
      PLACEMENTS_PER_CONNECTION_PER_S: "0",
      MAX_CONNECTIONS_PER_IP: "1000",
      SESSIONS_PER_IP_PER_MIN: "100000",
      BOARDS_PER_USER_PER_DAY: "100",
    };
    a = await ReplicaProcess.start({ env, instanceId: "mod-a" });
    b = await ReplicaProcess.start({ env, instanceId: "mod-b" });
    for (const r of [a, b]) await waitFor(async () => (await health(r.url))?.redis === "up", 10_000, `${r.instanceId} redis up`);
    mod = await newSession(a.url, "cluster-mod");
    for (const id of ["c1", "c2", "big"]) {
      const size = id === "big" ? 1000 : 32;
      expect((await createBoard(a.url, mod.cookie, { id, title: id, width: size, height: size, cooldownMs: 0 })).status).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([a?.stop("SIGKILL"), b?.stop("SIGKILL")]);
    await redis?.stop();
    await pgCluster?.destroy();
  });

  it("makes a moderator on one replica who is one on the other at once", async () => {
    expect((await get(b.url, "/api/session", { cookie: mod.cookie })).body.moderator).toBe(false);
    expect((await post(a.url, "/api/admin/moderators", { userId: mod.user.id }, { token: ADMIN })).status).toBe(200);
    await waitFor(async () => (await get(b.url, "/api/session", { cookie: mod.cookie })).body.moderator === true, 2_000, "grant seen on B");
  });

  it("closes a banned user's tabs on both replicas with 4003, refuses their placements and connections, and lets them back after unban", async () => {
    const g = await newSession(b.url, "cluster-griefer");
    const tabs = [await connect(a, g.cookie, "c1"), await connect(a, g.cookie, "main"), await connect(b, g.cookie, "c1")];
    const bystander = await connect(b, (await newSession(b.url, "bystander")).cookie, "c1");
    for (const t of tabs) expect((await t.place(1, 1, 1)).type).toBe("ack");
    const t0 = Date.now();
    const r = await post(a.url, "/api/boards/c1/mod/ban", { userId: g.user.id, reason: "griefing" }, { cookie: mod.cookie });
    expect(r.status).toBe(200);
    const codes = await Promise.all(tabs.map((t) => t.waitClosed(5_000)));
    console.log(`ban → every tab closed (2 on the banning replica, 1 on the other) in ${Date.now() - t0} ms`);
    expect(codes).toEqual([4003, 4003, 4003]);
    expect(bystander.closeCode).toBeNull();
    for (const r2 of [a, b]) {
      const put = await putPixel(r2.url, "c1", g.cookie, 2, 2, 2);
      expect([put.status, put.body.error.code], r2.instanceId).toEqual([403, "banned"]);
      expect(await tryConnect(r2.url, g.cookie, "c1"), r2.instanceId).toEqual({ welcome: false, closeCode: 4003 });
    }
    expect((await post(b.url, "/api/boards/c1/mod/unban", { userId: g.user.id }, { cookie: mod.cookie })).status).toBe(200);
    for (const r2 of [a, b]) {
      await waitFor(async () => (await tryConnect(r2.url, g.cookie, "c1")).welcome, 2_000, `${r2.instanceId} lets the user back`);
      expect((await putPixel(r2.url, "c1", g.cookie, 3, 3, 3)).status).toBe(200);
    }
  }, 30_000);

  it("rolls back a user who painted through both replicas exactly as a replay predicts; every client and replica converges", async () => {
    const W = 32;
    const board = "c2";
    const watchers = [await connect(a, mod.cookie, board), await connect(b, mod.cookie, board)];
    const g = await newSession(a.url, "cluster-griefer-2");
    const painters = [
      await connect(a, g.cookie, board),
      await connect(b, g.cookie, board),
      await connect(a, (await newSession(a.url, "pa")).cookie, board),
      await connect(b, (await newSession(b.url, "pb")).cookie, board),
    ];
    const rand = prng(SEED + 7);
    const moves = painters.map(() => Array.from({ length: 80 }, () => [Math.floor(rand() * W), Math.floor(rand() * 12), 1 + Math.floor(rand() * 31)]));
    await Promise.all(painters.map(async (p, i) => {
      for (const [x, y, c] of moves[i]) expect((await p.place(x, y, c)).type).toBe("ack");
    }));
    const all = await history(b.url, board);
    expect(all).toHaveLength(320);
    const want = expectedRollback(all, W, W, g.user.id, 0);
    const r = await post(b.url, `/api/boards/${board}/mod/rollback`, { userId: g.user.id }, { token: ADMIN });
    expect(r.body).toEqual({ reverted: want.reverted, firstSeq: 321, lastSeq: 320 + want.reverted });
    const finalSeq = 320 + want.reverted;
    for (const rep of [a, b]) {
      await waitFor(async () => (await canvas(rep.url, board)).seq === finalSeq, 5_000, `${rep.instanceId} at ${finalSeq}`);
      expect((await canvas(rep.url, board)).bytes, rep.instanceId).toEqual(want.board);
    }
    for (const c of [...watchers, ...painters]) {
      await c.waitForSeqs(Array.from({ length: finalSeq }, (_, i) => i + 1), 5_000);
      expect(drawn(c, W, W)).toEqual(want.board);
    }
  }, 60_000);

  it("wipes and freezes across replicas", async () => {
    const W = 32;
    const board = "c2";
    const watchers = [await connect(a, mod.cookie, board), await connect(b, mod.cookie, board)];
    const p = await newSession(b.url, "painter");
    const onB = await connect(b, p.cookie, board);
    const before = await canvas(a.url, board);
    const w = await post(a.url, `/api/boards/${board}/mod/wipe`, { x0: 4, y0: 4, x1: 27, y1: 27, color: 4 }, { cookie: mod.cookie });
    expect(w.body).toEqual({ pixels: 576, firstSeq: before.seq + 1, lastSeq: before.seq + 576 });
    const expected = before.bytes.slice();
    for (let y = 4; y <= 27; y++) for (let x = 4; x <= 27; x++) expected[y * W + x] = 4;
    for (const rep of [a, b]) {
      await waitFor(async () => (await canvas(rep.url, board)).seq === before.seq + 576, 5_000, `${rep.instanceId} has the wipe`);
      expect((await canvas(rep.url, board)).bytes).toEqual(expected);
    }
    for (const c of watchers) {
      await c.waitForSeqs(Array.from({ length: 576 }, (_, i) => before.seq + 1 + i), 5_000);
      const mine = new Uint8Array(await (await fetch(`${a.url}/api/boards/${board}/canvas?seq=${c.welcome.seq}`)).arrayBuffer());
      for (const rec of [...c.records].sort((x, y) => x.seq - y.seq)) mine[rec.y * W + rec.x] = rec.color;
      expect(mine).toEqual(expected);
    }

    expect((await post(a.url, `/api/boards/${board}/mod/freeze`, { frozen: true }, { cookie: mod.cookie })).status).toBe(200);
    const rej = await onB.place(0, 0, 1);
    expect(rej.type === "reject" && rej.code).toBe("frozen");
    expect((await putPixel(b.url, board, p.cookie, 0, 0, 1)).body.error.code).toBe("frozen");
    await waitFor(async () => (await get(b.url, `/api/boards/${board}`)).body.board.state === "frozen", 2_000, "B shows frozen");
    expect((await post(b.url, `/api/boards/${board}/mod/freeze`, { frozen: false }, { token: ADMIN })).status).toBe(200);
    expect((await onB.place(0, 0, 1)).type).toBe("ack");
  }, 30_000);

  it("has every action of every replica in the audit log", async () => {
    const c1 = await get(a.url, "/api/boards/c1/mod/log", { cookie: mod.cookie });
    expect(c1.body.entries.map((e: { action: string }) => e.action)).toEqual(["unban", "ban"]);
    expect(c1.body.entries[1]).toMatchObject({ actor: mod.user, params: { reason: "griefing", durationMs: null } });
    const c2 = await get(b.url, "/api/boards/c2/mod/log", { token: ADMIN });
    expect(c2.body.entries.map((e: { action: string; actor: unknown }) => [e.action, e.actor])).toEqual([
      ["unfreeze", { admin: true }],
      ["freeze", mod.user],
      ["wipe", mod.user],
      ["rollback", { admin: true }],
    ]);
    const main = await get(b.url, "/api/boards/main/mod/log", { token: ADMIN });
    expect(main.body.entries).toMatchObject([{ action: "moderator_grant", actor: { admin: true }, params: { userId: mod.user.id } }]);
  });

  it("keeps other users' acks flowing while a user with 100,000 placements is rolled back and the whole board wiped (p99 printed)", async () => {
    const board = "big";
    const griefer = await newSession(a.url, "big-griefer");
    const early = await newSession(a.url, "big-early");
    // The history is written straight into the database before anyone follows the board: 20,000
    // placements of someone else, then 100,000 of the griefer over the same 600×600 corner.
    const db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
    const rand = prng(SEED + 100);
    const write = async (userId: string, n: number) => {
      for (let done = 0; done < n; done += 10_000) {
        const xs = Array.from({ length: 10_000 }, () => Math.floor(rand() * 600));
        const ys = Array.from({ length: 10_000 }, () => Math.floor(rand() * 600));
        const cs = Array.from({ length: 10_000 }, () => 1 + Math.floor(rand() * 31));
        await db.query("select count(*) from tessera_commit($1, array_fill($2::text, array[10000]), $3::int[], $4::int[], $5::int[], 0, true)", [board, userId, xs, ys, cs]);
      }
    };
    await write(early.user.id, 20_000);
    await write(griefer.user.id, 100_000);
    await db.end();

    const users = await Promise.all([a, a, b, b].map(async (rep, i) => ({ rep, s: await newSession(rep.url, `normal${i}`) })));
    const normals = await Promise.all(users.map(({ rep, s }) => connect(rep, s.cookie, board)));
    const load = ackLoad(normals, (r) => ({ x: 600 + Math.floor(r() * 400), y: Math.floor(r() * 1000) }));
    await waitFor(() => load.samples.length >= 300, 20_000, "baseline acks");
    const baseline = load.samples.slice();

    let t0 = performance.now();
    const r = await post(a.url, `/api/boards/${board}/mod/rollback`, { userId: griefer.user.id }, { token: ADMIN });
    let t1 = performance.now();
    const rollbackMs = t1 - t0;
    expect(r.status).toBe(200);
    const duringRollback = load.between(t0, t1);

    // A full 1000×1000 wipe, chunk by chunk, while the same users keep placing.
    t0 = performance.now();
    const w = await post(b.url, `/api/boards/${board}/mod/wipe`, { x0: 0, y0: 0, x1: 999, y1: 999, color: 0 }, { token: ADMIN });
    t1 = performance.now();
    const wipeMs = t1 - t0;
    expect(w.status).toBe(200);
    expect(w.body.pixels).toBe(1_000_000);
    const duringWipe = load.between(t0, t1);
    await load.stop();
    console.log(
      `rollback of a user with 100,000 placements: ${r.body.reverted} pixels reverted in ${(rollbackMs / 1000).toFixed(2)} s` +
        `\n  normal users' acks before:         ${latencyStats(baseline)}` +
        `\n  normal users' acks during rollback: ${latencyStats(duringRollback)}` +
        `\n  full 1000×1000 wipe in ${(wipeMs / 1000).toFixed(2)} s; acks during it: ${latencyStats(duringWipe)}`,
    );
    expect(r.body.reverted).toBeGreaterThan(MODERATION_CHUNK_PIXELS * 10);
    expect(duringRollback.length).toBeGreaterThan(0);
    expect(duringWipe.length).toBeGreaterThan(0);

    // Both replicas converge on the replay of the whole history (moderation placements included).
    const records: Array<{ seq: number; x: number; y: number; color: number }> = [];
    let cursor = "0";
    while (cursor !== "") {
      const res = await fetch(`${b.url}/api/boards/${board}/placements?after=${cursor}&limit=100000`);
      records.push(...decodePixels(new Uint8Array(await res.arrayBuffer())));
      cursor = res.headers.get("x-next-after")!;
    }
    const truth = replay(records, 1000, 1000);
    for (const rep of [a, b]) {
      await waitFor(async () => (await canvas(rep.url, board)).seq === records.length, 10_000, `${rep.instanceId} caught up`);
      expect(Buffer.compare(Buffer.from((await canvas(rep.url, board)).bytes), Buffer.from(truth)), rep.instanceId).toBe(0);
    }
    const again = await post(b.url, `/api/boards/${board}/mod/rollback`, { userId: griefer.user.id }, { token: ADMIN });
    expect(again.body.reverted).toBe(0);
  }, 400_000);
});

interface AckSample {
  sentAt: number;
  ms: number;
}

/**
 * Closed-loop placements by `clients` (each sends its next placement when the last is acked), with
 * the time from send to ack of every one, measured in the test process (the replicas are other
 * processes).
 */
function ackLoad(clients: TestClient[], where: (rand: () => number) => { x: number; y: number }) {
  const samples: AckSample[] = [];
  const rand = prng(SEED + 200);
  let stopped = false;
  let refs = 0;
  const loops = clients.map(async (c) => {
    while (!stopped) {
      const ref = `load${++refs}`;
      const sentAt = performance.now();
      const acked = new Promise<void>((resolve, reject) => {
        const onMessage = (data: WebSocket.RawData, binary: boolean) => {
          if (binary) return;
          const m = JSON.parse(data.toString()) as ServerMessage;
          if ((m.type === "ack" || m.type === "reject") && m.ref === ref) {
            c.ws.off("message", onMessage);
            if (m.type === "ack") resolve();
            else reject(new Error(`a normal placement was refused: ${m.code}`));
          }
        };
        c.ws.on("message", onMessage);
      });
      c.send({ type: "place", ...where(rand), color: 1 + Math.floor(rand() * 31), ref });
      await acked;
      samples.push({ sentAt, ms: performance.now() - sentAt });
    }
  });
  return {
    samples,
    /** Placements sent and acked within [t0, t1]. */
    between: (t0: number, t1: number) => samples.filter((s) => s.sentAt >= t0 && s.sentAt + s.ms <= t1),
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

function latencyStats(list: AckSample[]): string {
  const ms = list.map((s) => s.ms).sort((x, y) => x - y);
  if (ms.length === 0) return "no acks";
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(1);
  return `${ms.length} acks, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${ms[ms.length - 1].toFixed(1)} ms`;
}

function decodePixels(body: Uint8Array): Array<{ seq: number; x: number; y: number; color: number }> {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out = [];
  for (let o = 1; o + 9 <= body.length; o += 9) out.push({ seq: dv.getUint32(o, true), x: dv.getUint16(o + 4, true), y: dv.getUint16(o + 6, true), color: body[o + 8] });
  return out;
}
