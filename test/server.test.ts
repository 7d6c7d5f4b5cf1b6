// One replica over real sockets on port 0: the HTTP API and the WebSocket protocol of SPEC §3–4,
// bad input (answered, board unchanged), cooldown, sync/resync, restart and shutdown.

import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PALETTE } from "../lib/palette";
import type { Running } from "../server/app";
import { fetchBoard, freshPgDatabase, newSession, startTestServer, TestClient, waitFor } from "./helpers";

type Server = Running & { dataDir: string };

describe("HTTP API", () => {
  let srv: Server;
  let base: string;
  beforeAll(async () => {
    srv = await startTestServer({ env: { CANVAS_WIDTH: "64", CANVAS_HEIGHT: "48" } });
    base = srv.url;
  });
  afterAll(() => srv.close());

  it("creates a session with a signed HttpOnly cookie and reads it back", async () => {
    const res = await fetch(`${base}/api/session`, { method: "POST", body: JSON.stringify({ name: "  Ada Lovelace  ", extra: 1 }) });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.user.name).toBe("Ada Lovelace");
    expect(body.user.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    const cookie = setCookie.split(";")[0];
    const me = await fetch(`${base}/api/session`, { headers: { cookie } });
    expect(me.status).toBe(200);
    expect((await me.json()).user).toEqual(body.user);
  });

  it("rejects bad names with 400 invalid_name", async () => {
    for (const name of ["", "   ", "x".repeat(25), "<script>", "a\u0000b", "tab\there", 42, null, undefined]) {
      const res = await fetch(`${base}/api/session`, { method: "POST", body: JSON.stringify({ name }) });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_name");
    }
  });

  it("answers malformed and oversized bodies with clear errors", async () => {
    const bad = await fetch(`${base}/api/session`, { method: "POST", body: "{nope" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe("invalid_json");
    const big = await fetch(`${base}/api/session`, { method: "POST", body: JSON.stringify({ name: "a", pad: "x".repeat(5000) }) });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toMatchObject({ code: "body_too_large" });
  });

  it("says no_session without a cookie or with a forged one", async () => {
    const none = await fetch(`${base}/api/session`);
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe("no_session");
    const { cookie } = await newSession(base, "victim");
    const forged = cookie.replace(/\.[^.]+$/, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect((await fetch(`${base}/api/session`, { headers: { cookie: forged } })).status).toBe(401);
    const put = await fetch(`${base}/api/pixel`, { method: "PUT", headers: { cookie: forged }, body: JSON.stringify({ x: 1, y: 1, color: 1 }) });
    expect(put.status).toBe(401);
  });

  it("describes the canvas and serves its bytes plain, gzipped and as 304", async () => {
    const info = await (await fetch(`${base}/api/canvas/info`)).json();
    expect(info).toMatchObject({ width: 64, height: 48, palette: PALETTE, cooldownMs: 0 });
    const { cookie } = await newSession(base, "painter");
    const put = await fetch(`${base}/api/pixel`, { method: "PUT", headers: { cookie }, body: JSON.stringify({ x: 63, y: 47, color: 7 }) });
    expect(put.status).toBe(200);
    const placed = await put.json();
    expect(placed).toMatchObject({ x: 63, y: 47, color: 7 });

    const plain = await fetch(`${base}/api/canvas`, { headers: { "accept-encoding": "identity" } });
    expect(plain.headers.get("content-type")).toBe("application/octet-stream");
    // Without CANVAS_CACHE_SECONDS every request is revalidated (a shared cache keeps nothing).
    expect(plain.headers.get("cache-control")).toBe("no-cache");
    expect(plain.headers.get("x-canvas-width")).toBe("64");
    expect(plain.headers.get("x-canvas-height")).toBe("48");
    expect(Number(plain.headers.get("x-canvas-seq"))).toBeGreaterThanOrEqual(placed.seq);
    const bytes = new Uint8Array(await plain.arrayBuffer());
    expect(bytes.length).toBe(64 * 48);
    expect(bytes[47 * 64 + 63]).toBe(7);

    // Node's fetch would decompress transparently; read the raw gzip with a lower-level request.
    const http = await import("node:http");
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve) => {
      http.get(`${base}/api/canvas`, { headers: { "accept-encoding": "gzip, deflate" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      });
    });
    expect(raw.headers["content-encoding"]).toBe("gzip");
    expect(Buffer.compare(zlib.gunzipSync(raw.body), Buffer.from(bytes))).toBe(0);

    const etag = plain.headers.get("etag")!;
    const again = await fetch(`${base}/api/canvas`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });

  it("serves a PNG with one image pixel per board pixel", async () => {
    const res = await fetch(`${base}/api/canvas.png`);
    expect(res.headers.get("content-type")).toBe("image/png");
    const png = Buffer.from(await res.arrayBuffer());
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(64);
    expect(png.readUInt32BE(20)).toBe(48);
  });

  it("validates pixels and reports who placed one", async () => {
    const { cookie, user } = await newSession(base, "Grace");
    for (const body of [{ x: 64, y: 0, color: 1 }, { x: 0, y: 48, color: 1 }, { x: -1, y: 0, color: 1 }, { x: 0, y: 0, color: 32 }, { x: 1.5, y: 0, color: 1 }, { x: "1", y: 0, color: 1 }, {}]) {
      const res = await fetch(`${base}/api/pixel`, { method: "PUT", headers: { cookie }, body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_pixel");
    }
    const put = await (await fetch(`${base}/api/pixel`, { method: "PUT", headers: { cookie }, body: JSON.stringify({ x: 5, y: 6, color: 11 }) })).json();
    const info = await (await fetch(`${base}/api/pixel?x=5&y=6`)).json();
    expect(info).toMatchObject({ x: 5, y: 6, color: 11, seq: put.seq, user: { id: user.id, name: "Grace" } });
    expect(new Date(info.placedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const none = await fetch(`${base}/api/pixel?x=0&y=0`);
    expect(none.status).toBe(404);
    expect((await none.json()).error.code).toBe("not_placed");
    for (const q of ["x=64&y=0", "x=0", "x=a&y=1", "x=-1&y=1", "x=1.0&y=1"]) {
      const res = await fetch(`${base}/api/pixel?${q}`);
      expect(res.status, q).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_pixel");
    }
  });

  it("reports health and stats, and refuses unknown routes and methods", async () => {
    const health = await (await fetch(`${base}/api/health`)).json();
    expect(health).toMatchObject({ status: "ok", instanceId: srv.config.instanceId, redis: "disabled", db: "up", connections: 0 });
    const stats = await (await fetch(`${base}/api/stats`)).json();
    expect(stats).toMatchObject({ activeUsers: 0, connections: 0, users: [], scope: "local" });
    expect(stats.pubsub).toMatchObject({ published: 0, received: 0, failed: 0 });
    expect((await fetch(`${base}/api/nope`)).status).toBe(404);
    const wrong = await fetch(`${base}/api/canvas`, { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect((await wrong.json()).error.code).toBe("method_not_allowed");
  });
});

describe("CANVAS_CACHE_SECONDS", () => {
  it("lets a shared cache keep the live board and its PNG that long, browsers revalidating", async () => {
    const srv = await startTestServer({ env: { CANVAS_WIDTH: "16", CANVAS_HEIGHT: "16", CANVAS_CACHE_SECONDS: "5" } });
    try {
      for (const path of ["/api/canvas", "/api/boards/main/canvas", "/api/canvas.png", "/api/boards/main/canvas.png?scale=2"]) {
        const res = await fetch(`${srv.url}${path}`);
        expect(res.status, path).toBe(200);
        expect(res.headers.get("cache-control"), path).toBe("public, max-age=0, s-maxage=5");
        await res.arrayBuffer();
      }
      // The board at a seq is immutable whatever the setting.
      expect((await fetch(`${srv.url}/api/boards/main/canvas?seq=0`)).headers.get("cache-control")).toContain("immutable");
    } finally {
      await srv.close();
    }
  });
});

describe("WebSocket protocol", () => {
  let srv: Server;
  let base: string;
  beforeAll(async () => {
    srv = await startTestServer({ env: { CANVAS_WIDTH: "100", CANVAS_HEIGHT: "100" }, hub: { maxReplayRecords: 50 } });
    base = srv.url;
  });
  afterAll(() => srv.close());

  it("refuses upgrades without a valid session (401) or from a foreign origin (403)", async () => {
    await expect(TestClient.connect(base, null)).rejects.toThrow(/401/);
    await expect(TestClient.connect(base, "tessera_session=v1.abc.def")).rejects.toThrow(/401/);
    const { cookie } = await newSession(base, "origin");
    await expect(TestClient.connect(base, cookie, { origin: "https://evil.example" })).rejects.toThrow(/403/);
    const ok = await TestClient.connect(base, cookie, { origin: base });
    ok.close();
  });

  it("welcomes, acks a placement and delivers it to another client as a PIXELS record", async () => {
    const alice = await newSession(base, "alice");
    const bob = await newSession(base, "bob");
    const a = await TestClient.connect(base, alice.cookie);
    const b = await TestClient.connect(base, bob.cookie);
    expect(a.welcome).toMatchObject({
      type: "welcome",
      protocol: 2,
      instanceId: srv.config.instanceId,
      user: alice.user,
      width: 100,
      height: 100,
      palette: PALETTE,
      cooldownMs: 0,
      redis: "disabled",
    });
    const ack = await a.place(10, 20, 7);
    expect(ack).toMatchObject({ type: "ack", ref: expect.any(String), seq: expect.any(Number), cooldownUntil: expect.any(Number) });
    if (ack.type !== "ack") throw new Error("expected ack");
    await b.waitForSeqs([ack.seq]);
    expect(b.records.find((r) => r.seq === ack.seq)).toEqual({ seq: ack.seq, x: 10, y: 20, color: 7 });
    // Presence: both users listed, pushed to both.
    await b.next("user_list", (m) => m.users.some((u) => u.name === "alice") && m.users.some((u) => u.name === "bob"));
    const stats = await a.next("stats", (m) => m.activeUsers >= 2);
    expect(stats.scope).toBe("local");
    a.close();
    b.close();
  });

  it("always sends the welcome first, even while pixels stream", async () => {
    // A non-zero cooldown makes the gateway read the joiner's cooldown from the database. Hold that
    // read until the hub has flushed a PIXELS frame: a gateway that registered the client before its
    // welcome was ready would then send it pixels first.
    const busy = await startTestServer({ env: { COOLDOWN_MS: "1" } });
    try {
      const painter = await TestClient.connect(busy.url, (await newSession(busy.url, "streamer")).cookie);
      let painting = true;
      const loop = (async () => {
        for (let i = 0; painting; i++) await painter.place(i % 100, i % 50, i % 32);
      })();
      const getUser = busy.storage.getUser.bind(busy.storage);
      busy.storage.getUser = async (id) => {
        const frames = busy.rooms.get("main")!.hub.counters.framesSent;
        await waitFor(() => busy.rooms.get("main")!.hub.counters.framesSent > frames, 5_000, "a flushed tick");
        return getUser(id);
      };
      const { cookie } = await newSession(busy.url, "joiner");
      const joiners = await Promise.all(Array.from({ length: 5 }, () => TestClient.connect(busy.url, cookie)));
      painting = false;
      await loop;
      expect(joiners.map((j) => j.firstFrame)).toEqual(joiners.map(() => "welcome"));
      // A joiner counts itself in the stats it gets right after the welcome.
      const firstStats = joiners[4].messages.find((m) => m.type === "stats") as { connections: number };
      expect(firstStats.connections).toBeGreaterThanOrEqual(2);
      for (const j of [painter, ...joiners]) j.close();
    } finally {
      await busy.close();
    }
  });

  it("broadcasts placements made over HTTP exactly like WebSocket ones", async () => {
    const watcher = await TestClient.connect(base, (await newSession(base, "watcher")).cookie);
    const { cookie } = await newSession(base, "http-painter");
    const res = await fetch(`${base}/api/pixel`, { method: "PUT", headers: { cookie }, body: JSON.stringify({ x: 1, y: 2, color: 3 }) });
    const body = await res.json();
    await watcher.waitForSeqs([body.seq]);
    expect(watcher.records.find((r) => r.seq === body.seq)).toEqual({ seq: body.seq, x: 1, y: 2, color: 3 });
    watcher.close();
  });

  it("answers bad frames with errors or rejects, keeps the connection, and leaves the board unchanged", async () => {
    const { cookie } = await newSession(base, "mallory");
    const m = await TestClient.connect(base, cookie);
    const before = await fetchBoard(base);
    const cases: Array<[unknown, string]> = [
      ["{not json", "bad_json"],
      ["[1,2,3]", "bad_message"],
      ['"place"', "bad_message"],
      [{ x: 1 }, "bad_message"],
      [{ type: "teleport" }, "unknown_type"],
      [{ type: "place", x: "1", y: 1, color: 1 }, "bad_message"],
      [{ type: "place", x: 1, y: 1, color: 1, ref: "r".repeat(65) }, "bad_message"],
      [{ type: "sync", since: -1 }, "bad_message"],
    ];
    for (const [frame, code] of cases) {
      const from = m.messages.length;
      m.send(frame);
      const err = await m.next("error", () => true, from);
      expect(err.code, JSON.stringify(frame)).toBe(code);
    }
    m.ws.send(Buffer.from([1, 2, 3]));
    expect((await m.next("error", (e) => e.code === "binary_not_accepted")).message).toBeTruthy();
    for (const [x, y, color] of [[100, 0, 1], [0, 100, 1], [-1, 0, 1], [0, 0, 32], [0, 0, -1], [0.5, 0, 1], [1e9, 0, 1]]) {
      const r = await m.place(x, y, color);
      expect(r).toMatchObject({ type: "reject", code: "invalid_pixel" });
    }
    // Still connected and answering.
    const from = m.messages.length;
    m.send({ type: "ping" });
    await m.next("pong", () => true, from);
    const after = await fetchBoard(base);
    expect(after.seq).toBe(before.seq);
    expect(Buffer.compare(Buffer.from(after.bytes), Buffer.from(before.bytes))).toBe(0);
    m.close();
  });

  it("closes with 1009 on a frame over 1 KiB, without touching the board", async () => {
    const { cookie } = await newSession(base, "bigmouth");
    const c = await TestClient.connect(base, cookie);
    const before = await fetchBoard(base);
    c.send({ type: "place", x: 1, y: 1, color: 1, ref: "x".repeat(2000) });
    expect(await c.waitClosed()).toBe(1009);
    expect((await fetchBoard(base)).seq).toBe(before.seq);
  });

  it("replays what a reconnecting client missed, and asks for a resync when too far behind", async () => {
    const { cookie } = await newSession(base, "sleeper");
    const painter = await TestClient.connect(base, cookie);
    const since = painter.welcome.seq;
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ack = await painter.place(30 + i, 30, 4);
      if (ack.type === "ack") seqs.push(ack.seq);
    }
    const late = await TestClient.connect(base, cookie);
    late.send({ type: "sync", since });
    await late.waitForSeqs(seqs);
    // A record may arrive twice (live tick and replay); clients apply by seq, so compare by seq.
    const bySeq = new Map(late.records.map((r) => [r.seq, r.x]));
    expect(seqs.map((s) => bySeq.get(s))).toEqual([30, 31, 32, 33, 34]);

    // The replay window of this server is 50 records: further behind than that means reload.
    for (let i = 0; i < 60; i++) await painter.place(i, 50, 5);
    const from = late.messages.length;
    late.send({ type: "sync", since });
    const resync = await late.next("resync", () => true, from);
    expect(resync.seq).toBe(srv.rooms.get("main")!.seq);
    painter.close();
    late.close();
  });
});

describe("cooldown", () => {
  let srv: Server;
  beforeAll(async () => {
    srv = await startTestServer({ env: { COOLDOWN_MS: "60000" } });
  });
  afterAll(() => srv.close());

  it("rejects a second placement inside the cooldown over WebSocket, other tabs and HTTP", async () => {
    const { cookie } = await newSession(srv.url, "patient");
    const tab1 = await TestClient.connect(srv.url, cookie);
    const tab2 = await TestClient.connect(srv.url, cookie);
    const first = await tab1.place(1, 1, 1);
    expect(first.type).toBe("ack");
    const second = await tab2.place(2, 2, 2);
    expect(second).toMatchObject({ type: "reject", code: "cooldown" });
    if (second.type === "reject") expect(second.retryAfterMs).toBeGreaterThan(50_000);
    const http = await fetch(`${srv.url}/api/pixel`, { method: "PUT", headers: { cookie }, body: JSON.stringify({ x: 3, y: 3, color: 3 }) });
    expect(http.status).toBe(429);
    expect(Number(http.headers.get("retry-after"))).toBeGreaterThan(50);
    const body = await http.json();
    expect(body.error.code).toBe("cooldown");
    expect(body.error.retryAfterMs).toBeGreaterThan(50_000);
    // A new connection learns its cooldown in the welcome.
    const tab3 = await TestClient.connect(srv.url, cookie);
    expect(tab3.welcome.cooldownUntil).toBeGreaterThan(Date.now() + 50_000);
    // Concurrent placements of one fresh user: exactly one wins.
    const racer = await newSession(srv.url, "racer");
    const tabs = await Promise.all([1, 2, 3].map(() => TestClient.connect(srv.url, racer.cookie)));
    const results = await Promise.all(tabs.map((t, i) => t.place(10 + i, 10, 1)));
    expect(results.filter((r) => r.type === "ack")).toHaveLength(1);
    for (const t of [tab1, tab2, tab3, ...tabs]) t.close();
  });
});

for (const backend of ["pglite", "postgres"] as const) {
  describe(`durability on ${backend}`, () => {
    it("keeps every acked placement across a restart, and closes clients with 1001 on shutdown", async () => {
      const pgDb = backend === "postgres" ? await freshPgDatabase() : null;
      const env: Record<string, string> = { CANVAS_WIDTH: "50", CANVAS_HEIGHT: "50" };
      if (pgDb) Object.assign(env, { DATABASE_URL: pgDb.url, SESSION_SECRET: "test-secret-0123456789" });
      let srv = await startTestServer({ env });
      try {
        const { cookie } = await newSession(srv.url, "durable");
        const c = await TestClient.connect(srv.url, cookie);
        const acks = await Promise.all(Array.from({ length: 40 }, (_, i) => c.place(i % 50, Math.floor(i / 5), i % 32)));
        expect(acks.every((a) => a.type === "ack")).toBe(true);
        const before = await fetchBoard(srv.url);
        expect(before.seq).toBe(40);
        await srv.close();
        expect(await c.waitClosed()).toBe(1001);

        srv = await startTestServer({ env, dataDir: srv.dataDir });
        const after = await fetchBoard(srv.url);
        expect(after.seq).toBe(40);
        expect(Buffer.compare(Buffer.from(after.bytes), Buffer.from(before.bytes))).toBe(0);
        // The same cookie still works (the session secret persisted), and sync replays from 0.
        const again = await TestClient.connect(srv.url, cookie);
        expect(again.welcome.seq).toBe(40);
        again.send({ type: "sync", since: 0 });
        await again.waitForSeqs(Array.from({ length: 40 }, (_, i) => i + 1));
        again.close();
      } finally {
        await srv.close();
        await pgDb?.drop();
      }
    });
  });
}

describe("presence", () => {
  it("counts distinct users and connections and updates everyone when someone leaves", async () => {
    const srv = await startTestServer();
    try {
      const a = await newSession(srv.url, "Ann");
      const b = await newSession(srv.url, "Ben");
      const a1 = await TestClient.connect(srv.url, a.cookie);
      const a2 = await TestClient.connect(srv.url, a.cookie);
      const b1 = await TestClient.connect(srv.url, b.cookie);
      await a1.next("stats", (s) => s.activeUsers === 2 && s.connections === 3);
      const list = await a1.next("user_list", (l) => l.users.length === 2);
      expect(list.users.map((u) => u.name)).toEqual(["Ann", "Ben"]);
      expect(list.total).toBe(2);
      const from = a1.messages.length;
      b1.close();
      await a1.next("user_list", (l) => l.users.length === 1 && l.users[0].name === "Ann", from);
      await waitFor(async () => (await (await fetch(`${srv.url}/api/stats`)).json()).connections === 2);
      a2.close();
      a1.close();
    } finally {
      await srv.close();
    }
  });
});
