// The Redis Sentinel failover scenario of `npm run test:faults` (SPEC §14): three replicas given
// only REDIS_SENTINELS and REDIS_SENTINEL_NAME (and REDIS_PASSWORD; no REDIS_URL), a password-
// protected redis-server master with one replica, three sentinels, a private PostgreSQL database,
// and the load of test/faults/run.ts. Under that load the master is killed -9; the sentinels promote
// the replica and the Tessera replicas must find it by themselves. The killed node is then restarted
// (as the master it was configured to be; the sentinels turn it into a replica) and the new master is
// killed in turn. Throughout, SPEC §6's guarantees 1–5 hold (guarantee 5 over each failover: from
// the kill until every replica's Redis link is up again).
// Printed: the guarantees table, and the time from the kill to each replica's /api/health saying
// redis "up" again and to each client's `status` turning its badge back to `live`.

import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PIXEL_CHANNEL } from "../server/cluster/redis-names";
import { checkGuarantees, type Observed } from "./faults/checks";
import { FaultRun, REPLICA_ENV, undetectedFaults } from "./faults/run";
import { freshPgDatabase, tempDir } from "./helpers";
import { testSeed } from "./prng";
import { health, type RedisProcess, redisQuery, ReplicaProcess, SentinelTopology } from "./processes";
import { waitFor } from "./wait";

const MASTER_NAME = "tessera-faults";
const REDIS_PASSWORD = "fault-redis-pass-0123456789";
// The sentinels' timing: quick enough for a short test, with a margin against false failovers when
// the load and the rest of the machine keep both cores busy.
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 3_000;
/** The whole failover, from the kill to every replica's link up again, must fit in this. */
const FAILOVER_DEADLINE_MS = 30_000;
/** Acks on every replica after the failover before the load stops: placing goes on on the new master. */
const ACKS_AFTER_FAILOVER = 20;

interface Failover {
  label: string;
  /** From the kill until every replica's link was up again. */
  outage: { from: number; to: number };
  /** Milliseconds after the kill: every sentinel names the new master. */
  promotedMs: number;
  /** Milliseconds after the kill: every replica's /api/health says redis "up" again. */
  upMs: number;
  replicas: Array<{ id: string; degradedMs: number; upMs: number }>;
  /** Milliseconds after the kill: the last connected client told redis "up" again. */
  clientsLiveMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe("fault injection: a Redis Sentinel failover under load", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof freshPgDatabase>> | undefined;
  let topology: SentinelTopology | undefined;
  const replicas: ReplicaProcess[] = [];
  let run: FaultRun | undefined;
  let observed: Observed | undefined;

  beforeAll(async () => {
    dir = tempDir("tessera-faults-sentinel-");
    [db, topology] = await Promise.all([
      freshPgDatabase(),
      SentinelTopology.start(dir, { masterName: MASTER_NAME, password: REDIS_PASSWORD, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS }),
    ]);
    const env = {
      ...REPLICA_ENV,
      DATABASE_URL: db.url,
      // Empty overrides anything inherited from the shell: the sentinels are the only way to Redis.
      REDIS_URL: "",
      REDIS_SENTINELS: topology.sentinelList,
      REDIS_SENTINEL_NAME: MASTER_NAME,
      REDIS_PASSWORD,
    };
    for (const id of ["s1", "s2", "s3"]) replicas.push(await ReplicaProcess.start({ env, instanceId: id }));
    for (const p of replicas) await waitFor(async () => (await health(p.url))?.redis === "up", 15_000, `${p.instanceId}: redis up through the sentinels`);
  }, 180_000);

  afterAll(async () => {
    if (run && !observed) console.log(run.diagnosis());
    run?.close();
    await Promise.all(replicas.map((r) => r.stop("SIGKILL")));
    await topology?.stop();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps every guarantee through two kill -9 failovers, the killed master rejoining in between", async () => {
    const t = topology!;
    const r = new FaultRun(
      replicas.map((p) => ({ id: p.instanceId, url: p.url })),
      db!.url,
      testSeed(),
    );
    run = r;
    r.mark(`3 replicas on REDIS_SENTINELS only, redis master :${t.master.port} + replica :${t.replica.port}, 3 sentinels, PostgreSQL`);
    await r.start();

    /** Kill -9 the master `from` under load and follow everything until the replicas use `to`. */
    const failover = async (label: string, from: RedisProcess, to: RedisProcess): Promise<Failover> => {
      // No failover yet: a machine busy enough to starve a node past down-after-milliseconds would
      // make the rest of this run measure something else.
      expect(await t.agreedMasterPort(), `${label}: the sentinels name :${from.port} before the kill`).toBe(from.port);
      const logFrom = t.sentinels.map((s) => s.output.length);
      const killAt = Date.now();
      await from.kill();
      r.mark(`${label}: redis master :${from.port} killed (-9)`);
      const since = (at: number) => at - killAt;

      const promoted = waitFor(async () => ((await t.agreedMasterPort()) === to.port ? Date.now() : null), FAILOVER_DEADLINE_MS, `every sentinel to name :${to.port} as master`);
      // Each replica's /api/health: degraded (the UI's cue) first, then redis "up" again by itself.
      const links = Promise.all(
        replicas.map(async (p) => {
          let degradedAt: number | null = null;
          const upAt = await waitFor(
            async () => {
              const h = await health(p.url);
              const now = Date.now();
              if (h?.status === "degraded" && h.redis !== "up") degradedAt ??= now;
              return degradedAt !== null && h?.redis === "up" ? now : null;
            },
            FAILOVER_DEADLINE_MS,
            `${label}: ${p.instanceId}'s /api/health degraded, then redis up again`,
          );
          return { id: p.instanceId, degradedMs: since(degradedAt!), upMs: since(upAt) };
        }),
      );
      const promotedMs = since(await promoted);
      // The sentinels' own account: how many leader elections the failover took (a split vote
      // waits for the failover timeout before the next try).
      const events = t.sentinels.flatMap((s, i) => s.output.slice(logFrom[i]).join("").split("\n"));
      const count = (e: string) => events.filter((l) => l.includes(` ${e} `)).length;
      r.mark(
        `${label}: every sentinel names :${to.port} as master (+${promotedMs} ms; sentinel log: ${count("+try-failover")} failover tries, ` +
          `${count("-failover-abort-not-elected")} aborted as not elected, ${count("+elected-leader")} elected)`,
      );
      const seen = await links;
      const upMs = Math.max(...seen.map((s) => s.upMs));
      r.mark(`${label}: every replica's /api/health says redis up again (+${upMs} ms): ${seen.map((s) => `${s.id} degraded +${s.degradedMs}, up +${s.upMs}`).join("; ")}`);
      expect(await t.role(to), `${label}: :${to.port} was promoted`).toBe("master");

      // The replicas follow the main board's placements on the new master (not only catch up from the database).
      await waitFor(
        async () => {
          const reply = await redisQuery(to.port, ["PUBSUB", "NUMSUB", PIXEL_CHANNEL], REDIS_PASSWORD);
          return Array.isArray(reply) && reply[1] === replicas.length;
        },
        10_000,
        `${label}: ${PIXEL_CHANNEL} subscribed by every replica on the new master`,
      );

      // Every client that stayed connected was told `down`, then `up`: its badge back to `live`.
      const stayed = r.clients.filter((c) => c.stayedConnected);
      const liveAt = await waitFor(
        () => {
          const at = stayed.map((c) => c.liveAgainAfter(killAt));
          return at.every((x) => x !== null) ? (at as number[]) : null;
        },
        10_000,
        `${label}: every connected client told redis down, then up again`,
      );
      const clientLiveMs = liveAt.map(since);
      const clientsLiveMs = Math.max(...clientLiveMs);
      r.mark(`${label}: ${stayed.length}/${r.clients.length} clients connected throughout; told redis up again after median ${median(clientLiveMs)} ms, last ${clientsLiveMs} ms`);

      // Placing goes on on every replica through the new master.
      const upAt = killAt + upMs;
      await waitFor(() => replicas.every((p) => r.acksSince(upAt, p.instanceId) >= ACKS_AFTER_FAILOVER), 20_000, `${label}: acks on every replica after the failover`);
      return { label, outage: { from: killAt, to: upAt }, promotedMs, upMs, replicas: seen, clientsLiveMs };
    };

    const first = await failover("failover 1", t.master, t.replica);

    // The killed master comes back as it was configured (a master): the sentinels must turn it into
    // a replica of the new master before it can be promoted again.
    await t.master.start();
    const rejoinAt = Date.now();
    await t.awaitReplica(t.master);
    r.mark(`redis :${t.master.port} restarted; a replica of :${t.replica.port} in sync after ${Date.now() - rejoinAt} ms`);

    const second = await failover("failover 2", t.replica, t.master);

    // --- Quiet: the whole record is checked.
    const o = await r.finish([first.outage, second.outage]);
    observed = o;
    const results = checkGuarantees(o);
    const describeFailover = (f: Failover) =>
      `${f.label}: kill -9 → sentinels agree on the new master ${f.promotedMs} ms → every replica's /api/health redis "up" ${f.upMs} ms ` +
      `(${f.replicas.map((s) => `${s.id} ${s.upMs}`).join(", ")}) → every client's badge live ${f.clientsLiveMs} ms`;
    console.log(
      r.report(
        "Sentinel failover run",
        o,
        results,
        `down-after-milliseconds ${DOWN_AFTER_MS}, failover-timeout ${FAILOVER_TIMEOUT_MS}\n${describeFailover(first)}\n${describeFailover(second)}`,
      ),
    );
    expect(r.problems(), "protocol expectations the server broke").toEqual([]);
    for (const res of results) expect(res.ok, `${res.guarantee}: ${res.detail}`).toBe(true);
  }, 240_000);

  it("detects deliberately injected faults in the same observations", () => {
    expect(observed, "the failover run must have produced observations").toBeDefined();
    expect(undetectedFaults(observed!)).toEqual([]);
  });
});
