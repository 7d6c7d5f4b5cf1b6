// Several replicas as real processes sharing a fresh PostgreSQL database and a real redis-server on
// a free port: cross-replica delivery, the Redis message format, cluster-wide presence, a Redis
// kill -9 under traffic with local service and catch-up, and replicas leaving by SIGTERM and SIGKILL.

import net from "node:net";
import pg from "pg";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Board } from "../lib/canvas";
import { PRESENCE_HEARTBEAT_MS, PRESENCE_TTL_MS } from "../lib/limits";
import { fetchBoard, freshPgDatabase, newSession, TestClient, waitFor } from "./helpers";
import { health, RedisProcess, ReplicaProcess } from "./processes";

const W = 64;
const H = 64;

async function boardFromDatabase(url: string): Promise<{ bytes: Uint8Array; seq: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query<{ seq: string; x: number; y: number; color: number }>("select seq, x, y, color from placements where board_id = 'main' order by seq");
  await c.end();
  const b = new Board(W, H);
  for (const r of rows) b.apply(Number(r.seq), r.x, r.y, r.color);
  return { bytes: b.pixels, seq: b.seq };
}


describe("a cluster of replicas over Redis", () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>>;
  let redis: RedisProcess;
  let env: Record<string, string>;
  const replicas: ReplicaProcess[] = [];
  const clients: TestClient[] = [];
  // Every command any replica sends to Redis, as redis-cli MONITOR shows it.
  let monitorLog = "";
  let monitor: net.Socket | null = null;

  const connect = async (r: ReplicaProcess, cookie: string) => {
    const c = await TestClient.connect(r.url, cookie);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    db = await freshPgDatabase();
    redis = await RedisProcess.start();
    monitor = net.connect(redis.port, "127.0.0.1", () => monitor!.write("MONITOR\r\n"));
    monitor.on("data", (d) => (monitorLog += d.toString()));
    monitor.on("error", () => {});
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      SESSION_SECRET: "cluster-test-secret-0123456789",
      CANVAS_WIDTH: String(W),
      CANVAS_HEIGHT: String(H),
      COOLDOWN_MS: "0",
      PLACEMENTS_PER_CONNECTION_PER_S: "0",
      MAX_CONNECTIONS_PER_IP: "1000",
      SESSIONS_PER_IP_PER_MIN: "100000",
    };
    // Started one after another: the first applies the migrations, the others find them done.
    for (const id of ["replica-a", "replica-b"]) replicas.push(await ReplicaProcess.start({ env, instanceId: id }));
    for (const r of replicas) await waitFor(async () => (await health(r.url))?.redis === "up", 10_000, `${r.instanceId} redis up`);
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(replicas.map((r) => r.stop("SIGKILL")));
    await redis?.stop();
    await db?.drop();
  });

  it("delivers placements across replicas and publishes the documented JSON", async () => {
    const [a, b] = replicas;
    const spy = createClient({ url: redis.url });
    spy.on("error", () => {});
    await spy.connect();
    const published: Array<Record<string, unknown>> = [];
    await spy.subscribe("pixel-updates", (m) => published.push(JSON.parse(m)));

    const alice = await newSession(a.url, "alice");
    const bob = await newSession(b.url, "bob"); // a session made on one replica works on all
    const onA = await connect(a, alice.cookie);
    const onB = await connect(b, bob.cookie);
    const viaWs = await onA.place(3, 4, 5);
    if (viaWs.type !== "ack") throw new Error("expected ack");
    await onB.waitForSeqs([viaWs.seq]);
    expect(onB.records.find((r) => r.seq === viaWs.seq)).toEqual({ seq: viaWs.seq, x: 3, y: 4, color: 5 });

    const viaHttp = await (await fetch(`${b.url}/api/pixel`, { method: "PUT", headers: { cookie: alice.cookie }, body: JSON.stringify({ x: 6, y: 7, color: 8 }) })).json();
    await onA.waitForSeqs([viaHttp.seq]);

    await waitFor(() => published.length >= 2, 5_000, "two published messages");
    const first = published.find((m) => m.seq === viaWs.seq) ?? (published[0].updates as Array<Record<string, unknown>>)?.[0];
    expect(first).toMatchObject({ type: "pixel_updated", x: 3, y: 4, color: 5, username: "alice", seq: viaWs.seq, origin: "replica-a" });
    expect(typeof first.timestamp).toBe("number");
    await spy.close();
  });

  it("shows every replica's users to everyone, with scope cluster", async () => {
    const [a, b] = replicas;
    const carol = await newSession(a.url, "carol");
    const dave = await newSession(b.url, "dave");
    const onA = await connect(a, carol.cookie);
    const onB = await connect(b, dave.cookie);
    for (const c of [onA, onB]) {
      await c.next("user_list", (m) => m.users.some((u) => u.name === "carol") && m.users.some((u) => u.name === "dave"), 0, 10_000);
      await c.next("stats", (m) => m.scope === "cluster" && m.activeUsers >= 2, 0, 10_000);
    }
    // The list of replicas is refreshed by the presence heartbeat.
    const stats = await waitFor(
      async () => {
        const s = await (await fetch(`${a.url}/api/stats`)).json();
        return s.instances.length === 2 ? s : null;
      },
      2 * PRESENCE_HEARTBEAT_MS + 1_000,
      "both replicas in /api/stats",
    );
    expect(stats.scope).toBe("cluster");
    expect(stats.instances.map((i: { id: string }) => i.id).sort()).toEqual(["replica-a", "replica-b"]);
    expect(stats.users.map((u: { name: string }) => u.name)).toEqual(expect.arrayContaining(["carol", "dave"]));
    expect(stats.pubsub.published).toBeGreaterThanOrEqual(1);
  });

  it("finds live replicas through the index: no KEYS or SCAN ever reaches Redis", async () => {
    // Heartbeats and user events have run by now; the monitor saw every command.
    await waitFor(() => /"zrange"/i.test(monitorLog) && /"mget"/i.test(monitorLog), 10_000, "presence aggregation in MONITOR");
    expect(monitorLog).toMatch(/"publish" "pixel-updates"/i);
    expect(monitorLog).not.toMatch(/"(keys|scan)"/i);
    monitor?.destroy();
  });

  it("keeps serving through a Redis kill -9 and converges once Redis is back", async () => {
    const [a, b] = replicas;
    const painters = await Promise.all([
      newSession(a.url, "pa").then((s) => connect(a, s.cookie)),
      newSession(b.url, "pb").then((s) => connect(b, s.cookie)),
    ]);
    const watchers = await Promise.all([
      newSession(a.url, "wa").then((s) => connect(a, s.cookie)),
      newSession(b.url, "wb").then((s) => connect(b, s.cookie)),
    ]);
    const acked: number[] = [];
    let stop = false;
    let x = 0;
    const traffic = painters.map(async (p) => {
      while (!stop) {
        const r = await p.place(x++ % W, 10 + (x % 40), x % 32);
        if (r.type === "ack") acked.push(r.seq);
      }
    });
    await waitFor(() => acked.length >= 20, 10_000, "traffic before the outage");

    await redis.kill();
    for (const r of replicas) await waitFor(async () => (await health(r.url))?.status === "degraded", 10_000, `${r.instanceId} degraded`);
    for (const w of watchers) await w.next("status", (m) => m.redis === "down", 0, 10_000);
    const h = await health(a.url);
    expect(h).toMatchObject({ status: "degraded", redis: "down", db: "up" });

    // Placements keep being acked on both replicas during the outage, and reach local clients.
    const duringOutage: number[] = [];
    const before = acked.length;
    await waitFor(() => acked.length >= before + 40, 15_000, "acks during the outage");
    duringOutage.push(...acked.slice(before));
    const localOnA = painters[0].messages.filter((m) => m.type === "ack").map((m) => (m as { seq: number }).seq).filter((s) => duringOutage.includes(s));
    expect(localOnA.length).toBeGreaterThan(0);
    await watchers[0].waitForSeqs(localOnA, 5_000);
    const stats = await (await fetch(`${a.url}/api/stats`)).json();
    expect(stats.scope).toBe("local");

    await redis.start();
    const back = Date.now();
    for (const w of watchers) await w.next("status", (m) => m.redis === "up", 0, 10_000);
    stop = true;
    await Promise.all(traffic);

    // Every connected client has every acked placement within 5 s of Redis returning…
    for (const c of [...painters, ...watchers]) {
      await c.waitForSeqs(acked.filter((s) => s > c.welcome.seq), 5_000 - Math.min(4_000, Date.now() - back));
    }
    // …and every replica's board equals the board rebuilt from the database.
    const truth = await boardFromDatabase(db.url);
    expect(truth.seq).toBe(Math.max(...acked, truth.seq));
    for (const r of replicas) {
      await waitFor(async () => (await fetchBoard(r.url)).seq === truth.seq, 5_000, `${r.instanceId} caught up`);
      const board = await fetchBoard(r.url);
      expect(Buffer.compare(Buffer.from(board.bytes), Buffer.from(truth.bytes)), r.instanceId).toBe(0);
    }
    for (const r of replicas) expect((await health(r.url))?.status).toBe("ok");
  }, 90_000);

  it("drops a replica's users at once on SIGTERM and within the TTL on SIGKILL", async () => {
    const [a] = replicas;
    const c = await ReplicaProcess.start({ env, instanceId: "replica-c" });
    const d = await ReplicaProcess.start({ env, instanceId: "replica-d" });
    replicas.push(c, d);
    await waitFor(async () => (await health(c.url))?.redis === "up" && (await health(d.url))?.redis === "up", 10_000);
    const onC = await TestClient.connect(c.url, (await newSession(c.url, "erin")).cookie);
    const onD = await TestClient.connect(d.url, (await newSession(d.url, "frank")).cookie);
    const watcher = await connect(a, (await newSession(a.url, "gina")).cookie);
    await watcher.next("user_list", (m) => m.users.some((u) => u.name === "erin") && m.users.some((u) => u.name === "frank"), 0, 10_000);

    let from = watcher.messages.length;
    const termAt = Date.now();
    await c.stop("SIGTERM");
    expect(await onC.waitClosed()).toBe(1001);
    await watcher.next("user_list", (m) => !m.users.some((u) => u.name === "erin"), from, 3_000);
    expect(Date.now() - termAt).toBeLessThan(3_000);

    from = watcher.messages.length;
    const killAt = Date.now();
    await d.stop("SIGKILL");
    onD.close();
    await watcher.next("user_list", (m) => !m.users.some((u) => u.name === "frank"), from, PRESENCE_TTL_MS + 2 * PRESENCE_HEARTBEAT_MS);
    expect(Date.now() - killAt).toBeLessThan(15_000);
    const stats = await (await fetch(`${a.url}/api/stats`)).json();
    expect(stats.instances.map((i: { id: string }) => i.id)).not.toContain("replica-d");
  }, 60_000);
});

describe("a replica started while Redis is down", () => {
  it("serves in degraded mode and joins the cluster when Redis appears", async () => {
    const db = await freshPgDatabase();
    const redis = await RedisProcess.start();
    await redis.kill();
    const r = await ReplicaProcess.start({
      instanceId: "lonely",
      env: { DATABASE_URL: db.url, REDIS_URL: redis.url, SESSION_SECRET: "cluster-test-secret-0123456789", COOLDOWN_MS: "0" },
    });
    try {
      expect(await health(r.url)).toMatchObject({ status: "degraded", redis: "down", db: "up" });
      const s = await newSession(r.url, "early");
      const c = await TestClient.connect(r.url, s.cookie);
      expect(c.welcome.redis).toBe("down");
      expect((await c.place(1, 1, 1)).type).toBe("ack");
      await redis.start();
      await c.next("status", (m) => m.redis === "up", 0, 10_000);
      expect((await health(r.url))?.status).toBe("ok");
      c.close();
    } finally {
      await r.stop("SIGKILL");
      await redis.stop();
      await db.drop();
    }
  }, 60_000);
});
