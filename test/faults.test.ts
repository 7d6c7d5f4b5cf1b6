// Fault injection (also `npm run test:faults`): three replicas on a private PostgreSQL and a real
// redis-server, a few hundred simulated clients placing over WebSocket and HTTP (test/faults/run.ts),
// while Redis is killed -9 and restarted, a replica is SIGKILLed and restarted, PostgreSQL is
// restarted, and a replica is stopped gracefully. Then SPEC §6's guarantees are checked and printed
// as a table — and the same checks are shown to fail on the same observations with faults injected.
// test/faults-sentinel.test.ts is the Sentinel failover scenario on the same load and checks.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkGuarantees, type Observed } from "./faults/checks";
import { dbMaxSeq, FaultRun, REPLICA_ENV, undetectedFaults } from "./faults/run";
import { PrivatePostgres } from "./private-postgres";
import { testSeed } from "./prng";
import { health, RedisProcess, ReplicaProcess } from "./processes";
import { waitFor } from "./wait";

// How long each fault lasts: scenario parameters, part of the conditions the run waits on.
const REDIS_OUTAGE_MS = 5_000;
const REPLICA_DOWN_MS = 2_000;
const DB_DOWN_MS = 1_500;

describe("fault injection", () => {
  let postgres: PrivatePostgres;
  let dbUrl: string;
  let redis: RedisProcess;
  const replicas: ReplicaProcess[] = [];
  let run: FaultRun | undefined;
  let observed: Observed | undefined;

  beforeAll(async () => {
    postgres = await PrivatePostgres.start();
    dbUrl = await postgres.createDatabase("tessera");
    redis = await RedisProcess.start();
    const env = { ...REPLICA_ENV, DATABASE_URL: dbUrl, REDIS_URL: redis.url };
    for (const id of ["r1", "r2", "r3"]) replicas.push(await ReplicaProcess.start({ env, instanceId: id }));
  }, 120_000);

  afterAll(async () => {
    if (run && !observed) console.log(run.diagnosis());
    run?.close();
    await Promise.all(replicas.map((r) => r.stop("SIGKILL")));
    await redis?.stop();
    await postgres?.destroy();
  });

  it("keeps every guarantee through Redis, replica and database failures", async () => {
    const r = new FaultRun(
      replicas.map((p) => ({ id: p.instanceId, url: p.url })),
      dbUrl,
      testSeed(),
    );
    run = r;
    r.mark("3 replicas, private PostgreSQL and redis-server started");
    await r.start();

    // --- Redis: kill -9, keep serving locally, restart, catch up.
    await redis.kill();
    const outageFrom = Date.now();
    r.mark("redis-server killed (-9)");
    for (const p of replicas) await waitFor(async () => (await health(p.url))?.status === "degraded", 10_000, `${p.instanceId} degraded`);
    await waitFor(
      () => Date.now() - outageFrom >= REDIS_OUTAGE_MS && replicas.every((p) => r.acksSince(outageFrom, p.instanceId) >= 10),
      REDIS_OUTAGE_MS + 20_000,
      "a Redis outage with acks on every replica",
    );
    await redis.start();
    const outageTo = Date.now();
    const seqAtReturn = await dbMaxSeq(dbUrl);
    r.mark(`redis-server restarted after ${((outageTo - outageFrom) / 1000).toFixed(1)} s`);
    for (const p of replicas) await waitFor(async () => (await health(p.url))?.redis === "up", 10_000, `${p.instanceId} redis up`);
    await waitFor(() => r.clients.filter((c) => c.connected).every((c) => c.board.seq >= seqAtReturn), 10_000, "clients caught up after Redis");
    const catchUpMs = Date.now() - outageTo;
    r.mark(`every connected client had every placement up to seq ${seqAtReturn} ${catchUpMs} ms after Redis returned`);

    // --- A replica dies (SIGKILL) and comes back; its clients move elsewhere and sync.
    const victim = replicas[2];
    await victim.stop("SIGKILL");
    const killAt = Date.now();
    r.mark("replica r3 killed (SIGKILL)");
    await waitFor(() => Date.now() - killAt >= REPLICA_DOWN_MS && r.acksSince(killAt) >= 100, REPLICA_DOWN_MS + 20_000, "traffic to continue on r1 and r2");
    await victim.start();
    r.mark("replica r3 restarted");
    await waitFor(async () => (await health(victim.url))?.redis === "up", 15_000, "r3 rejoined");
    await waitFor(() => r.acksSince(Date.now() - 1_000, "r3") > 0 || r.acksSince(killAt, "r3") > 0, 20_000, "r3 acking again");

    // --- PostgreSQL restarts: placements fail as unavailable (never acked), then resume.
    await postgres.stop("fast");
    const dbDownAt = Date.now();
    r.mark("PostgreSQL stopped");
    await waitFor(
      () => Date.now() - dbDownAt >= DB_DOWN_MS && r.clients.some((c) => (c.rejects.unavailable ?? 0) > 0),
      DB_DOWN_MS + 10_000,
      "unavailable rejections while the database is down",
    );
    await postgres.resume();
    r.mark(`PostgreSQL restarted after ${((Date.now() - dbDownAt) / 1000).toFixed(1)} s`);
    const dbBack = Date.now();
    await waitFor(() => replicas.every((p) => r.acksSince(dbBack, p.instanceId) >= 5), 20_000, "acks on every replica after the database returned");

    // --- Graceful stop under load: exits within 5 s, loses nothing acked, then comes back.
    const graceful = replicas[1];
    const termAt = Date.now();
    const code = await graceful.stop("SIGTERM");
    const exitMs = Date.now() - termAt;
    r.mark(`replica r2 stopped by SIGTERM: exit ${code} after ${exitMs} ms`);
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(5_000);
    await graceful.start();
    await waitFor(async () => (await health(graceful.url))?.redis === "up", 15_000, "r2 rejoined");
    r.mark("replica r2 restarted");

    // --- Quiesce, collect, check.
    const o = await r.finish([{ from: outageFrom, to: outageTo }]);
    observed = o;
    const results = checkGuarantees(o);
    console.log(r.report("Fault run", o, results, `Redis catch-up ${catchUpMs} ms, graceful exit ${exitMs} ms`));
    expect(r.problems(), "protocol expectations the server broke").toEqual([]);
    for (const res of results) expect(res.ok, `${res.guarantee}: ${res.detail}`).toBe(true);
  }, 240_000);

  it("detects deliberately injected faults in the same observations", () => {
    expect(observed, "the fault run must have produced observations").toBeDefined();
    expect(undetectedFaults(observed!)).toEqual([]);
  });
});
