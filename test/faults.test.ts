// Fault injection (also `npm run test:faults`): three replicas on a private PostgreSQL and a real
// redis-server, a few hundred simulated clients placing over WebSocket and HTTP, while Redis is
// killed -9 and restarted, a replica is SIGKILLed and restarted, PostgreSQL is restarted, and a
// replica is stopped gracefully. Then SPEC §6's guarantees are checked and printed as a table —
// and the same checks are shown to fail on a run with one acked placement deliberately removed.
// Random choices come from one seed, printed at the start (TESSERA_SEED=<seed> replays them): each
// simulated client and HTTP placer draws from its own stream of it, so the choices do not depend
// on the order in which the actors happened to run.

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Board } from "../lib/canvas";
import { type AckedPlacement, checkGuarantees, type DbPlacement, formatTable, type Observed } from "./faults/checks";
import { SimClient, type SimReplica } from "./faults/sim-client";
import { PrivatePostgres } from "./private-postgres";
import { forkPrng, randInt, testSeed } from "./prng";
import { health, RedisProcess, ReplicaProcess } from "./processes";
import { waitFor } from "./wait";

const W = 200;
const H = 200;
const COOLDOWN_MS = 300;
const NORMAL_CLIENTS = 150; // place every ~400 ms (above the cooldown)
const WATCHERS = 50; // never place, only watch
const HAMMER_USERS = 5; // two tabs each, on different replicas, placing every ~40 ms
const HTTP_PLACERS = 4;
// How long each fault lasts: scenario parameters, part of the conditions the run waits on.
const REDIS_OUTAGE_MS = 5_000;
const REPLICA_DOWN_MS = 2_000;
const DB_DOWN_MS = 1_500;

async function readDb(url: string): Promise<DbPlacement[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query("select seq, x, y, color, user_id, placed_at from placements order by seq");
  await c.end();
  return rows.map((r) => ({ seq: Number(r.seq), x: r.x, y: r.y, color: r.color, userId: r.user_id, placedAt: Number(r.placed_at) }));
}

async function dbMaxSeq(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query("select seq from canvas_meta where id = 1");
  await c.end();
  return Number(rows[0].seq);
}


async function session(url: string, name: string): Promise<{ cookie: string; id: string }> {
  const res = await fetch(`${url}/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
  const body = await res.json();
  return { cookie: res.headers.get("set-cookie")!.split(";")[0], id: body.user.id };
}

describe("fault injection", () => {
  let postgres: PrivatePostgres;
  let dbUrl: string;
  let redis: RedisProcess;
  const replicas: ReplicaProcess[] = [];
  const clients: SimClient[] = [];
  const httpAcks: AckedPlacement[] = [];
  let observed: Observed;
  const timeline: string[] = [];
  const t0 = Date.now();
  const seed = testSeed();
  /** Stream numbers: simulated clients 0…, HTTP placers from here. */
  const HTTP_STREAMS = 100_000;
  const mark = (what: string) => timeline.push(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${what}`);

  beforeAll(async () => {
    postgres = await PrivatePostgres.start();
    dbUrl = await postgres.createDatabase("tessera");
    redis = await RedisProcess.start();
    const env = {
      DATABASE_URL: dbUrl,
      REDIS_URL: redis.url,
      SESSION_SECRET: "fault-suite-secret-0123456789",
      CANVAS_WIDTH: String(W),
      CANVAS_HEIGHT: String(H),
      COOLDOWN_MS: String(COOLDOWN_MS),
      PLACEMENTS_PER_CONNECTION_PER_S: "0",
      MAX_CONNECTIONS_PER_IP: "100000",
      SESSIONS_PER_IP_PER_MIN: "1000000",
    };
    for (const id of ["r1", "r2", "r3"]) replicas.push(await ReplicaProcess.start({ env, instanceId: id }));
    mark("3 replicas, private PostgreSQL and redis-server started");
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(replicas.map((r) => r.stop("SIGKILL")));
    await redis?.stop();
    await postgres?.destroy();
  });

  it("keeps every guarantee through Redis, replica and database failures", async () => {
    const live: SimReplica[] = replicas.map((r) => ({ id: r.instanceId, url: r.url }));
    const list = () => live;

    // Clients, spread over the replicas.
    const users = await Promise.all(
      Array.from({ length: NORMAL_CLIENTS + WATCHERS + HAMMER_USERS }, (_, i) => session(live[i % 3].url, `sim${i}`)),
    );
    users.forEach((u, i) => clients.push(new SimClient(`sim${i}`, u.id, u.cookie, list, i % 3, W, H, forkPrng(seed, i))));
    // Hammer users get a second tab on another replica.
    for (let h = 0; h < HAMMER_USERS; h++) {
      const u = users[NORMAL_CLIENTS + WATCHERS + h];
      clients.push(new SimClient(`hammer${h}-b`, u.id, u.cookie, list, (h + 1) % 3, W, H, forkPrng(seed, users.length + h)));
    }
    await Promise.all(clients.map((c) => c.start()));
    mark(`${clients.length} WebSocket clients connected`);

    let stop = false;
    const loops: Promise<void>[] = [];
    clients.forEach((c, i) => {
      if (i < NORMAL_CLIENTS) loops.push(c.run(400, () => stop));
      else if (i >= NORMAL_CLIENTS + WATCHERS) loops.push(c.run(40, () => stop)); // hammers
    });
    const httpUsers = await Promise.all(Array.from({ length: HTTP_PLACERS }, (_, i) => session(live[i % 3].url, `http${i}`)));
    httpUsers.forEach((u, i) => {
      const rand = forkPrng(seed, HTTP_STREAMS + i);
      loops.push(
        (async () => {
          while (!stop) {
            const r = live[randInt(rand, 3)];
            const body = { x: randInt(rand, W), y: randInt(rand, H), color: randInt(rand, 32) };
            try {
              const res = await fetch(`${r.url}/api/pixel`, { method: "PUT", headers: { cookie: u.cookie, "content-type": "application/json" }, body: JSON.stringify(body) });
              if (res.status === 200) {
                const a = await res.json();
                httpAcks.push({ seq: a.seq, ...body, userId: u.id, replica: r.id, at: Date.now() });
              }
            } catch {
              // replica down: try another next time
            }
            await new Promise((res) => setTimeout(res, COOLDOWN_MS + 20));
          }
        })(),
      );
    });
    const allAcks = () => [...clients.flatMap((c) => c.acked), ...httpAcks];
    const acksSince = (t: number, replica?: string) => allAcks().filter((a) => a.at > t && (!replica || a.replica === replica)).length;

    await waitFor(() => allAcks().length >= 300, 30_000, "traffic to get going");
    mark(`traffic running (${allAcks().length} acks)`);

    // --- Redis: kill -9, keep serving locally, restart, catch up.
    await redis.kill();
    const outageFrom = Date.now();
    mark("redis-server killed (-9)");
    for (const r of replicas) await waitFor(async () => (await health(r.url))?.status === "degraded", 10_000, `${r.instanceId} degraded`);
    await waitFor(
      () => Date.now() - outageFrom >= REDIS_OUTAGE_MS && replicas.every((r) => acksSince(outageFrom, r.instanceId) >= 10),
      REDIS_OUTAGE_MS + 20_000,
      "a Redis outage with acks on every replica",
    );
    await redis.start();
    const outageTo = Date.now();
    const seqAtReturn = await dbMaxSeq(dbUrl);
    mark(`redis-server restarted after ${((outageTo - outageFrom) / 1000).toFixed(1)} s`);
    for (const r of replicas) await waitFor(async () => (await health(r.url))?.redis === "up", 10_000, `${r.instanceId} redis up`);
    await waitFor(() => clients.filter((c) => c.connected).every((c) => c.board.seq >= seqAtReturn), 10_000, "clients caught up after Redis");
    const catchUpMs = Date.now() - outageTo;
    mark(`every connected client had every placement up to seq ${seqAtReturn} ${catchUpMs} ms after Redis returned`);

    // --- A replica dies (SIGKILL) and comes back; its clients move elsewhere and sync.
    const victim = replicas[2];
    await victim.stop("SIGKILL");
    const killAt = Date.now();
    mark("replica r3 killed (SIGKILL)");
    await waitFor(() => Date.now() - killAt >= REPLICA_DOWN_MS && acksSince(killAt) >= 100, REPLICA_DOWN_MS + 20_000, "traffic to continue on r1 and r2");
    await victim.start();
    mark("replica r3 restarted");
    await waitFor(async () => (await health(victim.url))?.redis === "up", 15_000, "r3 rejoined");
    await waitFor(() => acksSince(Date.now() - 1_000, "r3") > 0 || acksSince(killAt, "r3") > 0, 20_000, "r3 acking again");

    // --- PostgreSQL restarts: placements fail as unavailable (never acked), then resume.
    await postgres.stop("fast");
    const dbDownAt = Date.now();
    mark("PostgreSQL stopped");
    await waitFor(
      () => Date.now() - dbDownAt >= DB_DOWN_MS && clients.some((c) => (c.rejects.unavailable ?? 0) > 0),
      DB_DOWN_MS + 10_000,
      "unavailable rejections while the database is down",
    );
    await postgres.resume();
    mark(`PostgreSQL restarted after ${((Date.now() - dbDownAt) / 1000).toFixed(1)} s`);
    const dbBack = Date.now();
    await waitFor(() => replicas.every((r) => acksSince(dbBack, r.instanceId) >= 5), 20_000, "acks on every replica after the database returned");

    // --- Graceful stop under load: exits within 5 s, loses nothing acked, then comes back.
    const graceful = replicas[1];
    const termAt = Date.now();
    const code = await graceful.stop("SIGTERM");
    const exitMs = Date.now() - termAt;
    mark(`replica r2 stopped by SIGTERM: exit ${code} after ${exitMs} ms`);
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(5_000);
    await graceful.start();
    await waitFor(async () => (await health(graceful.url))?.redis === "up", 15_000, "r2 rejoined");
    mark("replica r2 restarted");

    // --- Quiesce and collect.
    stop = true;
    await Promise.all(loops);
    const finalSeq = await dbMaxSeq(dbUrl);
    await waitFor(() => clients.every((c) => c.board.seq >= finalSeq), 15_000, "every client to converge");
    for (const r of replicas) {
      await waitFor(async () => Number((await fetch(`${r.url}/api/canvas`)).headers.get("x-canvas-seq")) >= finalSeq, 15_000, `${r.instanceId} to converge`);
    }
    mark(`quiet: final seq ${finalSeq}`);

    const replicaBoards = await Promise.all(
      replicas.map(async (r) => {
        const res = await fetch(`${r.url}/api/canvas`);
        return { replica: r.instanceId, seq: Number(res.headers.get("x-canvas-seq")), bytes: new Uint8Array(await res.arrayBuffer()) };
      }),
    );
    observed = {
      width: W,
      height: H,
      cooldownMs: COOLDOWN_MS,
      acked: allAcks(),
      db: await readDb(dbUrl),
      replicaBoards,
      clients: clients.map((c) => ({ name: c.name, startSeq: c.startSeq, stayedConnected: c.stayedConnected, board: c.board })),
      outage: { from: outageFrom, to: outageTo },
      replicas: replicas.map((r) => r.instanceId),
    };
    const results = checkGuarantees(observed);
    const rejects = clients.reduce<Record<string, number>>((acc, c) => {
      for (const [k, v] of Object.entries(c.rejects)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {});
    console.log(
      `\nFault run (TESSERA_SEED=${seed}) timeline\n${timeline.join("\n")}\n\nGuarantees (SPEC §6)\n${formatTable(results)}\n\n` +
        `acked ${observed.acked.length} (HTTP ${httpAcks.length}), rejected ${JSON.stringify(rejects)}, ` +
        `Redis catch-up ${catchUpMs} ms, graceful exit ${exitMs} ms\n`,
    );
    for (const r of results) expect(r.ok, `${r.guarantee}: ${r.detail}`).toBe(true);
  }, 240_000);

  it("detects a deliberately injected loss", () => {
    expect(observed, "the fault run must have produced observations").toBeDefined();
    // Remove one acked placement from what the database returned: guarantees 0, 1 and 3 must fail.
    const victim = observed.acked[Math.floor(observed.acked.length / 2)];
    const lossy: Observed = { ...observed, db: observed.db.filter((r) => r.seq !== victim.seq) };
    const byName = Object.fromEntries(checkGuarantees(lossy).map((r) => [r.guarantee, r.ok]));
    expect(byName["1 no lost placement"]).toBe(false);
    expect(byName["0 dense seq"]).toBe(false);
    // A client that missed a record, and a replica board that drifted, are caught too.
    const drifted = new Board(W, H);
    drifted.load(observed.clients[0].board.pixels, observed.clients[0].board.seq - 1);
    const behind: Observed = { ...observed, clients: [{ ...observed.clients[0], board: drifted }, ...observed.clients.slice(1)] };
    const results = Object.fromEntries(checkGuarantees(behind).map((r) => [r.guarantee, r.ok]));
    expect(results["2 every client sees everything"]).toBe(false);
    const flipped = new Uint8Array(observed.replicaBoards[0].bytes);
    flipped[0] ^= 1;
    const drift: Observed = { ...observed, replicaBoards: [{ ...observed.replicaBoards[0], bytes: flipped }, ...observed.replicaBoards.slice(1)] };
    expect(Object.fromEntries(checkGuarantees(drift).map((r) => [r.guarantee, r.ok]))["3 convergence"]).toBe(false);
    // Two accepts of one user closer than the cooldown.
    const rows = observed.db.slice();
    const [a, b] = [rows[0], rows[1]];
    rows[1] = { ...b, userId: a.userId, placedAt: a.placedAt + COOLDOWN_MS - 1 };
    expect(Object.fromEntries(checkGuarantees({ ...observed, db: rows }).map((r) => [r.guarantee, r.ok]))["4 exact cooldown"]).toBe(false);
  });
});
