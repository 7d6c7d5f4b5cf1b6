// Boards across two real replicas sharing a private PostgreSQL database and a real redis-server
// (SPEC §9–§11): a replica follows a board's channels exactly while it has clients on it, pixels,
// cursors and cooldowns cross replicas per board, presence stays bounded with more than 100 users,
// and a board catches up from the database after a Redis outage.

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Board } from "../lib/canvas";
import type { ServerMessage } from "../lib/protocol";
import { createBoard, fetchBoard, freshPgDatabase, newSession, TestClient, waitFor } from "./helpers";
import { health, RedisProcess, ReplicaProcess } from "./processes";

type UserList = Extract<ServerMessage, { type: "user_list" }>;

describe("boards across replicas", () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>;
  let redis: RedisProcess;
  let a: ReplicaProcess;
  let b: ReplicaProcess;
  const clients: TestClient[] = [];
  let owner: { user: { id: string; name: string }; cookie: string };

  const connect = async (r: ReplicaProcess, cookie: string, board: string) => {
    const c = await TestClient.connect(r.url, cookie, {}, board);
    clients.push(c);
    return c;
  };

  /** How many replicas are subscribed to a channel, as Redis counts it. */
  const subscribers = async (channel: string) => {
    const raw = await rawReply(redis.port, `PUBSUB NUMSUB ${channel}`);
    return Number(raw.split("\r\n")[3].replace(":", ""));
  };

  beforeAll(async () => {
    db = await freshPgDatabase();
    redis = await RedisProcess.start();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      SESSION_SECRET: "boards-cluster-secret-0123456789",
      CANVAS_WIDTH: "32",
      CANVAS_HEIGHT: "32",
      COOLDOWN_MS: "0",
      PLACEMENTS_PER_CONNECTION_PER_S: "0",
      MAX_CONNECTIONS_PER_IP: "10000",
      SESSIONS_PER_IP_PER_MIN: "100000",
      BOARDS_PER_USER_PER_DAY: "100",
    };
    a = await ReplicaProcess.start({ env, instanceId: "board-a" });
    b = await ReplicaProcess.start({ env, instanceId: "board-b" });
    for (const r of [a, b]) await waitFor(async () => (await health(r.url))?.redis === "up", 15_000, `${r.instanceId} redis up`);
    owner = await newSession(a.url, "owner");
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([a?.stop("SIGKILL"), b?.stop("SIGKILL")]);
    await redis?.stop();
    await db?.drop();
  });

  it("follows a board's channels exactly while it has clients there, and unsubscribes within 30 s", async () => {
    expect((await createBoard(a.url, owner.cookie, { title: "follow", width: 16, height: 16, cooldownMs: 0, id: "follow" })).status).toBe(201);
    const channels = ["pixel-updates:follow", "user-events:follow", "cursors:follow"];
    // HTTP reads of a board nobody follows subscribe nothing.
    for (const r of [a, b]) {
      expect((await fetch(`${r.url}/api/boards/follow/canvas`)).status).toBe(200);
      expect((await fetch(`${r.url}/api/boards/follow/canvas.png`)).status).toBe(200);
      expect((await fetch(`${r.url}/api/boards/follow/canvas/info`)).status).toBe(200);
    }
    for (const ch of channels) expect(await subscribers(ch)).toBe(0);
    // main is always followed by both.
    expect(await subscribers("pixel-updates")).toBe(2);
    const onA = await connect(a, owner.cookie, "follow");
    for (const ch of channels) expect(await subscribers(ch)).toBe(1); // subscribed before the welcome
    const onB = await connect(b, owner.cookie, "follow");
    for (const ch of channels) expect(await subscribers(ch)).toBe(2);
    const ack = await onA.place(1, 1, 4);
    await onB.waitForSeqs([(ack as { seq: number }).seq]);
    onA.close();
    onB.close();
    const leftAt = Date.now();
    await waitFor(async () => (await subscribers("pixel-updates:follow")) === 0, 30_000, "both replicas to unsubscribe");
    for (const ch of channels) expect(await subscribers(ch)).toBe(0);
    expect(Date.now() - leftAt).toBeLessThan(30_000);
    expect(await subscribers("pixel-updates")).toBe(2);
  }, 60_000);

  it("delivers pixels, cooldowns and cursors across replicas per board", async () => {
    expect((await createBoard(a.url, owner.cookie, { title: "x", width: 20, height: 20, cooldownMs: 20_000, id: "cross" })).status).toBe(201);
    const dan = await newSession(a.url, "dan");
    const eve = await newSession(b.url, "eve");
    const danA = await connect(a, dan.cookie, "cross");
    const danB = await connect(b, dan.cookie, "cross"); // Dan's second tab, on the other replica
    const eveB = await connect(b, eve.cookie, "cross");
    const mainWatcher = await connect(b, eve.cookie, "main");
    eveB.send({ type: "view", x0: 0, y0: 0, x1: 9, y1: 9 });
    const ack = await danA.place(5, 6, 7);
    expect(ack.type).toBe("ack");
    const at = Date.now();
    const cd = await danB.next("cooldown", () => true, 0, 1_000);
    expect(Date.now() - at).toBeLessThan(1_000);
    expect(cd).toMatchObject({ board: "cross", cooldownUntil: (ack as { cooldownUntil: number }).cooldownUntil });
    await eveB.waitForSeqs([(ack as { seq: number }).seq]);
    expect(eveB.records.find((r) => r.seq === (ack as { seq: number }).seq)).toMatchObject({ x: 5, y: 6, color: 7 });
    // Dan's tab on b is told, so it rejects early; the database decides anyway.
    expect(await danB.place(1, 1, 1)).toMatchObject({ type: "reject", code: "cooldown" });
    // Cursors: Dan points inside Eve's view from replica a, then outside it.
    danA.send({ type: "cursor", x: 3, y: 4 });
    await eveB.next("cursors", (m) => m.cursors.some((c) => c.id === dan.user.id && c.x === 3 && c.y === 4), 0, 5_000);
    const from = eveB.messages.length;
    danA.send({ type: "cursor", x: 15, y: 15 });
    await eveB.next("cursors", (m) => m.gone.includes(dan.user.id), from, 5_000);
    // Nothing of board "cross" reached main's clients.
    expect(mainWatcher.records.length).toBe(0);
    expect(mainWatcher.messages.some((m) => m.type === "cursors")).toBe(false);
  }, 30_000);

  it("keeps user_list bounded and pages through everyone with more than 100 users on two replicas", async () => {
    expect((await createBoard(a.url, owner.cookie, { title: "crowd", width: 8, height: 8, cooldownMs: 0, id: "crowd" })).status).toBe(201);
    const n = 130;
    const users: Array<{ id: string; name: string }> = [];
    for (let i = 0; i < n; i++) {
      const s = await newSession(a.url, `p${String(i).padStart(3, "0")}${i % 2 ? "X" : "y"}`);
      users.push(s.user);
      await connect(i % 2 ? b : a, s.cookie, "crowd");
    }
    const watcher = clients[clients.length - 1];
    const list = await watcher.next("user_list", (m) => m.total === n, 0, 15_000);
    expect(list.users.length).toBe(100);
    const expected = [...users].sort((x, y) => Buffer.compare(Buffer.from(sortKey(x)), Buffer.from(sortKey(y))));
    expect(list.users).toEqual(expected.slice(0, 100));
    for (const c of clients.slice(-n)) {
      for (const m of c.messages.filter((m): m is UserList => m.type === "user_list")) {
        expect(m.users.length).toBeLessThanOrEqual(100);
        expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThan(8 * 1024);
      }
    }
    for (const r of [a, b]) {
      const seen: Array<{ id: string; name: string }> = [];
      let after: string | null = null;
      do {
        const page: { users: Array<{ id: string; name: string }>; total: number; next: string | null } = await (
          await fetch(`${r.url}/api/boards/crowd/users?limit=37${after ? `&after=${encodeURIComponent(after)}` : ""}`)
        ).json();
        expect(page.total).toBe(n);
        seen.push(...page.users);
        after = page.next;
      } while (after);
      expect(seen).toEqual(expected);
    }
    expect((await fetch(`${a.url}/api/boards/crowd/users?after=garbage`)).status).toBe(400);
    const stats = await (await fetch(`${b.url}/api/boards/crowd/stats`)).json();
    expect(stats).toMatchObject({ activeUsers: n, scope: "cluster" });
    expect(stats.users.length).toBe(100);
  }, 120_000);

  it("catches a board up from the database after a Redis outage", async () => {
    expect((await createBoard(a.url, owner.cookie, { title: "outage", width: 12, height: 12, cooldownMs: 0, id: "outage" })).status).toBe(201);
    const fay = await newSession(a.url, "fay");
    const onA = await connect(a, fay.cookie, "outage");
    const onB = await connect(b, fay.cookie, "outage");
    await redis.kill();
    await waitFor(async () => (await health(a.url))?.redis === "down" && (await health(b.url))?.redis === "down", 10_000, "both degraded");
    const seqs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await (i % 2 ? onB : onA).place(i % 12, (i * 5) % 12, (i % 31) + 1);
      expect(r.type).toBe("ack");
      seqs.push((r as { seq: number }).seq);
    }
    // While Redis is down each replica reads the other's placements from the database.
    await onA.waitForSeqs(seqs, 10_000);
    await onB.waitForSeqs(seqs, 10_000);
    await redis.start();
    await waitFor(async () => (await health(a.url))?.redis === "up" && (await health(b.url))?.redis === "up", 15_000, "both up again");
    const after = await onA.place(0, 0, 9);
    await onB.waitForSeqs([(after as { seq: number }).seq], 10_000);
    const expected = await boardFromDatabase(db.url, "outage", 12, 12);
    for (const r of [a, b]) {
      await waitFor(async () => (await fetchBoard(r.url, "outage")).seq === expected.seq, 10_000, `${r.instanceId} to converge`);
      expect((await fetchBoard(r.url, "outage")).bytes).toEqual(expected.bytes);
    }
    // Main is untouched by it.
    expect((await fetchBoard(a.url)).seq).toBe((await boardFromDatabase(db.url, "main", 32, 32)).seq);
  }, 60_000);
});

/** The order SPEC §10 asks for: name (case-insensitively first), then exact name, then id — in UTF-8 byte order. */
function sortKey(u: { id: string; name: string }): string {
  return `${u.name.toLowerCase()}\u0000${u.name}\u0000${u.id}`;
}

async function boardFromDatabase(url: string, board: string, w: number, h: number): Promise<{ bytes: Uint8Array; seq: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query<{ seq: string; x: number; y: number; color: number }>("select seq, x, y, color from placements where board_id = $1 order by seq", [board]);
  await c.end();
  const b = new Board(w, h);
  for (const r of rows) b.apply(Number(r.seq), r.x, r.y, r.color);
  return { bytes: b.pixels, seq: b.seq };
}

/** The whole raw reply of one inline command. */
async function rawReply(port: number, command: string): Promise<string> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => sock.write(`${command}\r\n`));
    let buf = "";
    sock.on("data", (d) => {
      buf += d.toString();
      // NUMSUB of one channel: *2, $len, name, :count.
      if (buf.split("\r\n").length >= 5) {
        sock.destroy();
        resolve(buf);
      }
    });
    sock.on("error", reject);
    sock.setTimeout(2_000, () => {
      sock.destroy();
      reject(new Error("no reply"));
    });
  });
}
