// Presence micro-benchmark (issue 9): what one join, leave, window read, page and heartbeat cost as
// a board grows to 50,000 users, for LocalPresence (in process) and ClusterPresence (a real
// redis-server on a free port; Redis CPU per call from INFO commandstats). Revision 1's
// presenceView — merge and sort every user of every replica — is timed beside it.
//
//   node --import tsx bench/presence-micro.ts [--max 50000]
//
// One process, one redis-server; nothing else is started. Numbers go to stdout as tables. CPU
// columns are the ones to compare: on a busy machine wall times mostly measure waiting for a core.

import { performance } from "node:perf_hooks";
import { createClient } from "redis";
import type { PublicUser } from "../lib/protocol";
import { ClusterPresence } from "../server/cluster/presence-redis";
import { RedisLink } from "../server/cluster/redis-link";
import { Signer } from "../server/cluster/signing";
import { createLogger } from "../server/logger";
import { LocalPresence } from "../server/realtime/presence";
import { prng } from "../test/prng";
import { RedisProcess } from "../test/processes";
import { waitFor } from "../test/wait";

const argMax = process.argv.indexOf("--max");
const MAX = argMax > 0 ? Number(process.argv[argMax + 1]) : 50_000;
const SIZES = [1_000, 10_000, 50_000].filter((n) => n <= MAX);
const SAMPLE = 1_000;
const BOARD = "main";

const rand = prng(9);
const SYLLABLES = ["ka", "lo", "Mi", "ra", "Zu", "te", "é", "no", "Sa", "vi", "字", "ön", "Ba", "xi"];
function makeUser(i: number): PublicUser {
  let name = "";
  const len = 2 + Math.floor(rand() * 4);
  for (let k = 0; k < len; k++) name += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
  return { id: `u${i.toString(36)}`, name };
}

/** Revision 1's presenceView (server/realtime/presence.ts before revision 2), kept here only to time it. */
function revision1View(groups: Array<{ users: PublicUser[]; connections: number }>): number {
  const byId = new Map<string, string>();
  for (const g of groups) for (const u of g.users) byId.set(u.id, u.name);
  const users = [...byId.values()].sort((a, b) => a.localeCompare(b));
  return users.length;
}

function us(ms: number): string {
  return ms * 1000 < 10 ? (ms * 1000).toFixed(2) : (ms * 1000).toFixed(1);
}

function timeEach(n: number, fn: (i: number) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return (performance.now() - t0) / n;
}

// ---------------------------------------------------------------- local

function benchLocal(): void {
  console.log("\n## LocalPresence (one replica, in process)\n");
  console.log("| users on the board | join µs | leave µs | window µs (rebuilt) | window µs (cached) | page of 200 µs | revision 1 presenceView ms |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  // Warm the JIT first, so the first row does not measure compilation.
  const warm = new LocalPresence("warm");
  for (let i = 0; i < 20_000; i++) warm.join(BOARD, makeUser(i));
  for (let i = 0; i < 2_000; i++) {
    warm.window(BOARD);
    warm.pageNow(BOARD, null, 200);
  }
  const p = new LocalPresence("bench");
  const all: PublicUser[] = [];
  let have = 0;
  for (const n of SIZES) {
    while (have < n - SAMPLE) {
      const u = makeUser(have++);
      all.push(u);
      p.join(BOARD, u);
    }
    const fresh = Array.from({ length: SAMPLE }, () => makeUser(have++));
    const join = timeEach(SAMPLE, (i) => p.join(BOARD, fresh[i]));
    all.push(...fresh);
    const victims = Array.from({ length: SAMPLE }, () => all[Math.floor(rand() * all.length)]);
    const leave = timeEach(SAMPLE, (i) => p.leave(BOARD, victims[i]));
    for (const v of victims) p.join(BOARD, v); // back to n users
    // A user sorting first changes the window: window() rebuilds its 100 users.
    const first = { id: "first", name: "\u0001" };
    const rebuilt = timeEach(SAMPLE, (i) => {
      if (i % 2 === 0) p.join(BOARD, first);
      else p.leave(BOARD, first);
      p.window(BOARD);
    });
    const cached = timeEach(SAMPLE * 10, () => p.window(BOARD));
    const mid = p.pageNow(BOARD, null, Math.floor(n / 2)).next;
    const page = timeEach(200, () => p.pageNow(BOARD, mid, 200));
    const groups = [
      { users: all.slice(0, Math.ceil(n / 2)), connections: 0 },
      { users: all.slice(Math.ceil(n / 2), n), connections: 0 },
    ];
    const r1 = timeEach(5, () => revision1View(groups));
    console.log(`| ${n.toLocaleString("en")} | ${us(join)} | ${us(leave)} | ${us(rebuilt)} | ${us(cached)} | ${us(page)} | ${r1.toFixed(1)} |`);
  }
}

// ---------------------------------------------------------------- cluster

/** CPU seconds the Redis process used so far (INFO cpu: user + system, main thread and all). */
async function redisCpuS(raw: RawClient): Promise<number> {
  const info = await raw.info("cpu");
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return user + sys;
}

interface Cost {
  wallMs: number;
  /** CPU of this process (the replicas run in it). */
  nodeCpuMs: number;
  /** CPU of the redis-server process (including its network work). */
  redisMs: number;
}

type RawClient = { info(section: string): Promise<string> };

/** Run `fn` (which must wait for its Redis work, e.g. with a PING) and measure it. */
async function measure(raw: RawClient, fn: () => Promise<void>): Promise<Cost> {
  const redis0 = await redisCpuS(raw);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const redisMs = ((await redisCpuS(raw)) - redis0) * 1000;
  return { wallMs, nodeCpuMs: (cpu.user + cpu.system) / 1000, redisMs };
}

async function benchCluster(): Promise<void> {
  const redis = await RedisProcess.start();
  const log = createLogger("silent", "bench");
  const signer = new Signer("presence-bench");
  const made: Array<{ link: RedisLink; presence: ClusterPresence }> = [];
  const replica = async (id: string) => {
    const link = new RedisLink({ url: redis.url, log });
    link.start();
    // No timed heartbeat during the measurement: it would mix its cost into the others.
    const presence = new ClusterPresence({ link, signer, instanceId: id, log, heartbeatMs: 600_000, ttlMs: 1_800_000 });
    presence.start();
    await waitFor(() => presence.scope === "cluster", 10_000, `${id} registered`);
    made.push({ link, presence });
    return { link, presence };
  };
  const raw = createClient({ url: redis.url });
  await raw.connect();
  try {
    const a = await replica("a");
    const b = await replica("b");
    const c = await replica("c");
    await a.presence.follow(BOARD);
    await b.presence.follow(BOARD);
    console.log("\n## ClusterPresence (three replicas in one process, real redis-server; the users are held by replica a)\n");
    console.log("CPU per operation: node = this process (all replicas, including the window reads that notices trigger), Redis = the redis-server process (INFO cpu).\n");
    console.log(
      "| users on the board | join: node µs | join: Redis µs | leave: node µs | leave: Redis µs | window read: node µs | window read: Redis µs | window read: wall ms | page of 200: Redis µs | heartbeat of a: node ms | heartbeat of a: Redis ms | heartbeat wall ms | instances() µs | Redis memory MB |",
    );
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    const all: PublicUser[] = [];
    let have = 0;
    for (const n of SIZES) {
      while (have < n - SAMPLE) {
        const u = makeUser(have++);
        all.push(u);
        a.presence.join(BOARD, u);
        if (have % 2_000 === 0) await a.link.pub.ping(); // let the pipeline drain
      }
      await a.link.pub.ping();

      // Joins and leaves are fire-and-forget; a PING after them returns once Redis ran them all.
      const fresh = Array.from({ length: SAMPLE }, () => makeUser(have++));
      const join = await measure(raw, async () => {
        for (const u of fresh) a.presence.join(BOARD, u);
        await a.link.pub.ping();
      });
      all.push(...fresh);
      const victims = all.splice(all.length - SAMPLE, SAMPLE);
      const leave = await measure(raw, async () => {
        for (const u of victims) a.presence.leave(BOARD, u);
        await a.link.pub.ping();
      });
      for (const u of victims) a.presence.join(BOARD, u);
      all.push(...victims);
      await a.link.pub.ping();
      // Let the notices of the joins above be read before measuring reads.
      await waitFor(() => b.presence.window(BOARD).total === n, 10_000, "b caught up");

      // What a notice costs a replica: one window read. c does not follow the board, so read() goes to Redis.
      // read() shares one Redis read per push interval; the uncached path is what a notice costs.
      const readUncached = (c.presence as unknown as { readUncached(board: string): Promise<unknown> }).readUncached.bind(c.presence);
      const READS = 200;
      const read = await measure(raw, async () => {
        for (let i = 0; i < READS; i++) await readUncached(BOARD);
      });
      const w = await c.presence.read(BOARD);
      if (w.total !== n || w.users.length !== 100) throw new Error(`window wrong at ${n}: total ${w.total}, ${w.users.length} users`);

      const mid = (await c.presence.page(BOARD, null, Math.min(200, Math.floor(n / 2)))).next;
      const PAGES = 100;
      const page = await measure(raw, async () => {
        for (let i = 0; i < PAGES; i++) await c.presence.page(BOARD, mid, 200);
      });

      // One heartbeat of a: re-adds all of its own users — the only presence work linear in users.
      // The heartbeat is private: reaching it directly is the point of this measurement.
      const beat = (a.presence as unknown as { beat(rethrow: boolean): Promise<void> }).beat.bind(a.presence);
      const hb = await measure(raw, () => beat(true));

      const inst = timeEach(10_000, () => a.presence.instances());
      const mem = Number(/used_memory:(\d+)/.exec(await raw.info("memory"))?.[1] ?? 0) / 1024 / 1024;
      const per = (x: number, k: number) => ((x * 1000) / k).toFixed(1);
      console.log(
        `| ${n.toLocaleString("en")} | ${per(join.nodeCpuMs, SAMPLE)} | ${per(join.redisMs, SAMPLE)} | ${per(leave.nodeCpuMs, SAMPLE)} | ${per(leave.redisMs, SAMPLE)} | ` +
          `${per(read.nodeCpuMs, READS)} | ${per(read.redisMs, READS)} | ${(read.wallMs / READS).toFixed(2)} | ${per(page.redisMs, PAGES)} | ` +
          `${hb.nodeCpuMs.toFixed(0)} | ${hb.redisMs.toFixed(0)} | ${hb.wallMs.toFixed(0)} | ${us(inst)} | ${mem.toFixed(1)} |`,
      );
    }
  } finally {
    for (const r of made) {
      await r.presence.close();
      await r.link.close();
    }
    await raw.close();
    await redis.stop();
  }
}

benchLocal();
await benchCluster();
