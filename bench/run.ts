// `npm run bench` — Tessera's load benchmark, and the Socket.IO baseline in the same run.
//
// Starts its own PostgreSQL (private, temporary), redis-server, two Tessera replicas (production
// mode, --api-only) and load-generator worker processes, then runs the scenarios of
// docs/BENCHMARKS.md and writes bench/results/latest.json, the table in docs/BENCHMARKS.md and
// docs/bench-latency.svg. Everything runs on this machine and shares its cores: compare ratios.
//
//   npm run bench                 full run (≈ 15 min)
//   npm run bench -- --quick      short steps, small crowds, 1,000,000-placement start-up only
//                                 (bench/results/partial.json only)
//   npm run bench -- --only=9     capacity with 1, 2 and 4 replicas (bench/results/capacity.json and
//                                 the table of docs/SCALING.md)
//   options: see docs/BENCHMARKS.md ("Options") or the OPTIONS list below.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createClient } from "redis";
import { PrivatePostgres } from "../test/private-postgres";
import { RedisProcess } from "../test/processes";
import { waitFor } from "../test/wait";
import {
  ARRIVALS,
  type Arrivals,
  BOARD_SIDE,
  type CollectResult,
  type ConnectResult,
  type ConnectSpec,
  type CursorResult,
  type DurableResult,
  Histogram,
  type PlaceResult,
  type PresenceResult,
  type Target,
} from "./common";
import { SNAPSHOT_EVERY_PLACEMENTS } from "../lib/limits";
import { CpuMeter, ROOT, rssBytes, ServerProcess, WorkerPool, processTree } from "./procs";
import { fitTwo } from "./fit";
import { capacityTables, latencySvg, markdownTables } from "./report";

// ---------------------------------------------------------------- parameters

const OPTIONS = `options:
  --quick                 short steps, small crowds, start-up at 1,000,000 only; writes results/partial.json
  --only=1,2,3,4,5,6,7,8  scenarios (1 fan-out sweeps, 2 durable, 3 idle, 4 canvas, 5 Redis outage,
                          6 crowd presence, 7 start-up, 8 live cursors); 9 (capacity with 1, 2, 4
                          replicas) runs only when named: --only=9 writes results/capacity.json
                          and the table of docs/SCALING.md
  --rates=10,100,5000     rates of the first sweep (placements/s)
  --sweeps=2000,1000      clients of each fan-out sweep; the baseline runs the first one
  --search-rates=…        rates of the later sweeps (looking for the highest passing rate)
  --sample=0.05           share of clients that decode every record for latency (the others count
                          and check seqs only)
  --arrivals=poisson      poisson | even | lockstep (how placements are spread in time)
  --crowd=1000,2000       crowd sizes (scenario 6)
  --startup=1000000       placements in the database for the start-up scenario (7)
  --cursor-views=1000,447,141  side of each cursor client's view, one row each (scenario 8)
  --replicas=1,2,4        replica counts of the capacity scenario (9)
  --capacity-clients=2000 --capacity-rate=1000 --capacity-joins=2000
                          its fan-out step (clients, placements/s) and its join burst (users)
  --build                 npm run build first (the bundle size is read from the build in .next/)
  --no-baseline  --profile (--cpu-prof of the replicas)  --loop-probe (event-loop delay of the replicas)`;

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const numbers = (name: string) => opt(name)?.split(",").filter(Boolean).map(Number);
if (flag("help")) {
  console.log(OPTIONS);
  process.exit(0);
}
const known = [
  "quick",
  "only",
  "rates",
  "sweeps",
  "search-rates",
  "sample",
  "arrivals",
  "crowd",
  "startup",
  "cursor-views",
  "replicas",
  "capacity-clients",
  "capacity-rate",
  "capacity-joins",
  "build",
  "no-baseline",
  "profile",
  "loop-probe",
];
for (const a of argv) {
  if (!known.includes(a.replace(/^--/, "").split("=")[0])) {
    console.error(`bench: unknown option ${a}\n${OPTIONS}`);
    process.exit(2);
  }
}
const QUICK = flag("quick");
const PROFILE = flag("profile");
const NO_BASELINE = flag("no-baseline");
const LOOP_PROBE = flag("loop-probe");
/** A full run is these; 9 (capacity, several replica sets) runs only when named. */
const ALL_SCENARIOS = [1, 2, 3, 4, 5, 6, 7, 8];
const ONLY = numbers("only") ?? ALL_SCENARIOS;
const BUILD = flag("build");
const ARRIVAL = (opt("arrivals") ?? "poisson") as Arrivals;
if (!ARRIVALS.includes(ARRIVAL)) {
  console.error(`bench: --arrivals must be one of ${ARRIVALS.join(", ")}`);
  process.exit(2);
}
const SAMPLE = Number(opt("sample") ?? 0.05);
if (!(SAMPLE > 0 && SAMPLE <= 1)) {
  console.error("bench: --sample must be a fraction in (0, 1]");
  process.exit(2);
}

const P = {
  /** Load-generator processes holding the clients; one more process, the probe, holds the latency sample. */
  loadWorkers: 4,
  sweeps: numbers("sweeps") ?? [2_000, 1_000],
  sweepPlacers: 200,
  latencySample: SAMPLE,
  arrivals: ARRIVAL,
  /** Sweep clients open at this pace in total (interleaved over the processes). */
  connectPerS: 1_000,
  rates: numbers("rates") ?? (QUICK ? [10, 25, 100, 500, 1_000, 5_000] : [10, 25, 50, 100, 200, 500, 1_000, 2_000, 5_000, 7_500, 10_000]),
  searchRates: numbers("search-rates") ?? (QUICK ? [5_000, 10_000] : [5_000, 10_000, 15_000, 20_000]),
  stepMs: QUICK ? 5_000 : 12_000,
  /** The idle placer measuring the commit latency: one placement per 1/rate s, from the probe process. */
  commitProbeRate: 5,
  commitProbeMs: QUICK ? 3_000 : 6_000,
  /** A target whose steps fail this many times in a row is not pushed further. */
  stopAfterFailures: 2,
  p99TargetMs: 100,
  durableClients: 50,
  durableWindows: [1, 4],
  durableMs: QUICK ? 5_000 : 12_000,
  idleConnections: QUICK ? 2_000 : 10_000,
  canvasRequests: QUICK ? 50 : 200,
  outageMs: QUICK ? 5_000 : 10_000,
  outageRate: 1_000,
  sessions: 200,
  crowd: numbers("crowd") ?? (QUICK ? [250, 500, 1_000] : [1_000, 2_000, 5_000, 10_000]),
  crowdJoinPerS: 250,
  /** A crowd size is skipped when its presence traffic, extrapolated from the last two sizes, would pass this. */
  crowdMaxBytes: 5e9,
  startup: numbers("startup") ?? (QUICK ? [1_000_000] : [1_000_000, 10_000_000]),
  startupUsers: 5_000,
  /** Scenario 8 (issue 11): distinct users on one board over both replicas, each moving its pointer this often. */
  cursorUsers: 500,
  cursorMovesPerS: 10,
  /** Side of each user's view (a square at a random place); 1000 is the whole board. */
  cursorViews: numbers("cursor-views") ?? [1_000, 447, 141],
  cursorJoinPerS: 250,
  cursorWarmupMs: 2_000,
  cursorMs: QUICK ? 4_000 : 10_000,
  /** Scenario 9 (issue 13): the same work on 1, 2 and 4 replicas. */
  replicas: numbers("replicas") ?? [1, 2, 4],
  capacityClients: numbers("capacity-clients")?.[0] ?? (QUICK ? 1_000 : 2_000),
  capacityRate: numbers("capacity-rate")?.[0] ?? 1_000,
  capacityJoins: numbers("capacity-joins")?.[0] ?? (QUICK ? 500 : 2_000),
  capacityIdleMs: QUICK ? 4_000 : 10_000,
  /** Scenario 9's slow step: few placements, each nearly a frame of its own to every client. */
  capacitySlowRate: 50,
} as const;

const LOAD = Array.from({ length: P.loadWorkers }, (_, i) => i);
const PROBE = P.loadWorkers;

const METRICS_TOKEN = "benchmark-metrics-0123456789abcdef";
const LIMITS_ENV = {
  COOLDOWN_MS: "0",
  PLACEMENTS_PER_CONNECTION_PER_S: "0",
  MAX_CONNECTIONS_PER_IP: "100000",
  SESSIONS_PER_IP_PER_MIN: "1000000",
  CANVAS_WIDTH: String(BOARD_SIDE),
  CANVAS_HEIGHT: String(BOARD_SIDE),
  LOG_LEVEL: "warn",
  NODE_ENV: "production",
  SESSION_SECRET: "benchmark-secret-0123456789abcdef",
  // /metrics is private: the benchmark reads the hub's fan-out figures with this bearer token.
  METRICS_TOKEN: METRICS_TOKEN,
};
/** Loopback source addresses: many connections to one port need more than one address's ephemeral ports. */
const LOCAL_ADDRESSES = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 2}`);

const log = (...a: unknown[]) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
const mb = (b: number) => round(b / 1024 / 1024, 1);
const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((t, x) => t + f(x), 0);

// ---------------------------------------------------------------- result shapes

export interface SweepStep {
  rate: number;
  sent: number;
  acked: number;
  rejected: number;
  achievedPerS: number;
  clients: number;
  /** Records owed to all clients together (Σ per client of the step's seqs), and what was counted. */
  expected: number;
  delivered: number;
  /** Records owed and never received, summed over clients; loss = missing / expected. */
  missing: number;
  loss: number;
  duplicates: number;
  /** Clients that received every record owed / that missed some. */
  complete: number;
  incomplete: number;
  closed: number;
  /** Clients whose records were decoded for latency. */
  sampled: number;
  /** Seqs the step committed (last − first + 1) when they do not match the acks (null when they do). */
  seqMismatch: string | null;
  /** Server processes that had exited (crashed) by the end of the step. */
  exited: string[];
  /**
   * From the replicas' /metrics (Tessera only): PIXELS frames flushed per second (all replicas; each
   * goes to every local client) and the mean time the oldest record of a frame waited in the hub.
   */
  framesPerS: number | null;
  hubWaitMs: number | null;
  p50: number | null;
  p99: number | null;
  max: number | null;
  ackP50: number | null;
  ackP99: number | null;
  cpu: Record<string, number>;
  serverRssMb: number[];
  pass: boolean;
}

export interface SweepResult {
  target: string;
  clients: number;
  placers: number;
  sampled: number;
  arrivals: Arrivals;
  connect: { ms: number; failed: number };
  /** An idle placer in the probe process, alone: its ack round trip is the commit latency as a client sees it. */
  commit: { rate: number; acks: number; p50: number | null; p99: number | null; receiptP50: number | null; receiptP99: number | null; missing: number };
  steps: SweepStep[];
  /** First attempts of steps that failed and were run again. */
  retried: SweepStep[];
  /** Highest rate with p99 ≤ 100 ms and zero loss (0 when none). */
  bestRate: number;
}

export interface CrowdRow {
  n: number;
  joinPerS: number;
  opened: number;
  failed: number;
  joinSeconds: number;
  /** From the first join until every client's presence said N (or the deadline). */
  windowSeconds: number;
  converged: boolean;
  totalBytes: number;
  statsBytes: number;
  listBytes: number;
  frames: number;
  /** Presence bytes per connected client per second: total / Σ client-seconds connected in the window. */
  bytesPerClientPerS: number;
  /** All clients together per second of the window: total / window seconds. */
  bytesPerS: number;
  largestFrame: number;
  serverCpuSeconds: number;
  serverCpuMsPerJoin: number;
  lastActiveUsers: PresenceResult["lastActiveUsers"];
  lastListUsers: PresenceResult["lastListUsers"];
  lastListTotal: PresenceResult["lastListTotal"];
  listShape: string | null;
  sessionsPerS: number;
}

export interface StartupRow {
  placements: number;
  fillSeconds: number;
  /** Process spawn → first 200 from /api/health, and RSS then: first start after the fill, and a restart. */
  firstStartMs: number;
  firstRssMb: number;
  restartMs: number;
  restartRssMb: number;
  /** Seq of the newest snapshot before the restart (null: the schema has no snapshots table). */
  newestSnapshotBeforeRestart: number | null;
}

export interface CursorRow {
  viewSide: number;
  /** Other users' cursors inside a view on average if they are spread evenly: (users − 1) × (side / 1000)². */
  expectedInView: number;
  clients: number;
  closed: number;
  seconds: number;
  /** `cursor` (and `view`) messages sent per client per second, and their bytes. */
  sentPerClientPerS: number;
  sentBytesPerClientPerS: number;
  /** `cursors` frames received per client per second, bytes on the wire, cursor entries (positions). */
  framesPerClientPerS: number;
  bytesPerClientPerS: number;
  entriesPerClientPerS: number;
  /** Entries per client per second across clients: lowest, median, highest. */
  entriesPerClientPerSRange: [number, number, number];
  gonePerS: number;
  largestFrame: number;
  cpu: Record<string, number>;
  /** Both replicas' CPU per connected client: ms of CPU per second. */
  serverCpuMsPerClientPerS: number;
  redisCpuMsPerS: number;
}

/** Counters from Redis INFO (whole server). */
interface RedisCounters {
  commands: number;
  publish: number;
  netIn: number;
  netOut: number;
}

/** One replica set of scenario 9: the same fan-out step and join burst, and what each costs. */
export interface CapacityRow {
  replicas: number;
  clients: number;
  connectMs: number;
  failed: number;
  /** Per replica RSS with no client (board loaded), and after the clients connected. */
  rssIdleMb: number[];
  rssConnectedMb: number[];
  /** Σ over replicas of RSS growth / clients, and of the live heap (+ external) after a full GC. */
  rssPerConnectionKb: number;
  heapPerConnectionKb: number;
  idle: { seconds: number; cpu: Record<string, number>; serverUsPerConnectionPerS: number; redisCommandsPerS: number };
  step: {
    rate: number;
    seconds: number;
    acked: number;
    delivered: number;
    missing: number;
    incomplete: number;
    p50: number | null;
    p99: number | null;
    ackP99: number | null;
    pass: boolean;
    cpu: Record<string, number>;
    /** PIXELS frames per second (all replicas), records per frame, socket writes (a frame to one client). */
    framesPerS: number;
    recordsPerFrame: number;
    writes: number;
    /** Server CPU over the step minus what the same connections cost idle, per delivered record and per write. */
    serverNsPerDeliveredRecord: number;
    serverUsPerWrite: number;
    /** Both replicas' CPU per placement (all of it, idle share included). */
    serverUsPerPlacement: number;
    /** The same rate to the placers alone (little fan-out), for the split below. */
    placersOnly: { clients: number; acked: number; p50: number | null; p99: number | null; writes: number; serverCores: number; seconds: number };
    /** A slow step to the same clients (each placement nearly a frame of its own: writes dominate). */
    slow: { rate: number; acked: number; p50: number | null; p99: number | null; missing: number; writes: number; serverCores: number; seconds: number };
    /** Server CPU (net of idle) = placements × usPerPlacement + socket writes × usPerWrite, fitted over the three steps. */
    split: { usPerPlacement: number | null; usPerWrite: number | null };
    redisUsPerPlacement: number;
    redisCommandsPerPlacement: number;
    redisPublishesPerPlacement: number;
    redisBytesOutPerPlacement: number;
    postgresUsPerPlacement: number;
    /** Group commits (each one transaction, one statement) and WAL bytes per placement. */
    commits: number;
    placementsPerCommit: number;
    walBytesPerPlacement: number;
  };
  join: {
    n: number;
    perS: number;
    opened: number;
    failed: number;
    seconds: number;
    converged: boolean;
    cpu: Record<string, number>;
    serverMsPerJoin: number;
    redisUsPerJoin: number;
    redisCommandsPerJoin: number;
    postgresUsPerJoin: number;
  };
}

export interface BundleResult {
  /** From scripts/bundle-size.ts --json (gzip -9 of the JavaScript `/` loads), or why it could not be read. */
  totalGzipBytes?: number;
  totalBytes?: number;
  chunks?: number;
  limitGzipBytes?: number;
  /** When .next/BUILD_ID was written (the build measured) and the commit checked out at the run. */
  builtAt?: string;
  commit: string;
  error?: string;
}

export interface Results {
  command: string;
  date: string;
  quick: boolean;
  machine: { cpus: number; model: string; memGb: number; node: string; kernel: string; loadAvgAtStart: number[] };
  params: typeof P;
  sweeps: SweepResult[];
  durable?: Array<{ clients: number; window: number; ackedPerS: number; ackP50: number | null; ackP99: number | null; ackMax: number | null; rejected: number; cpu: Record<string, number> }>;
  idle?: { connections: number; opened: number; failed: number; seconds: number; perS: number; rssBeforeMb: number; rssAfterMb: number; bytesPerConnection: number; heapBytesPerConnection: number };
  canvas?: Record<string, unknown>;
  outage?: Record<string, unknown>;
  crowd?: { rows: CrowdRow[]; skipped: Array<{ n: number; reason: string }> };
  /** emptyStartMs: a start on the empty database once its schema exists (the fixed cost of a start). */
  startup?: { schemaStartMs: number; emptyStartMs: number; emptyRssMb: number; rows: StartupRow[] };
  cursors?: { users: number; movesPerS: number; joinPerS: number; rows: CursorRow[] };
  capacity?: { clients: number; rate: number; joins: number; joinPerS: number; stepMs: number; idleMs: number; rows: CapacityRow[] };
  bundle?: BundleResult;
  targets?: Array<{ name: string; target: string; measured: string; met: boolean | null }>;
}

// ---------------------------------------------------------------- the run

async function main(): Promise<void> {
  const startedAt = Date.now();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-bench-"));
  log(`logs and profiles in ${logDir}`);
  if (os.loadavg()[0] > 1) log(`warning: load average ${os.loadavg()[0].toFixed(1)} before the start; something else is using the cores (see the 'other' CPU column)`);
  const results: Results = {
    command: `npm run bench${argv.length ? " -- " + argv.join(" ") : ""}`,
    date: new Date().toISOString(),
    quick: QUICK,
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? "unknown",
      memGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      kernel: os.release(),
      loadAvgAtStart: os.loadavg().map((v) => round(v, 2)),
    },
    params: P,
    sweeps: [],
  };

  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));

  try {
    results.bundle = bundleSize();
    log(`bundle: ${results.bundle.error ?? `${results.bundle.totalGzipBytes} bytes gzip -9 (build of ${results.bundle.builtAt})`}`);
    log("starting PostgreSQL (private), redis-server, workers");
    const pgServer = await PrivatePostgres.start();
    cleanups.push(() => pgServer.destroy());
    const dbUrl = await pgServer.createDatabase("tessera_bench");
    const redis = await RedisProcess.start();
    cleanups.push(() => redis.stop());
    const redisPid = await redisProcessId(redis.url);
    const postmasterPid = Number(fs.readFileSync(path.join(pgServer.dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    const workers = WorkerPool.start(P.loadWorkers + 1);
    cleanups.push(() => workers.stop());

    const env = { ...LIMITS_ENV, DATABASE_URL: dbUrl, REDIS_URL: redis.url };
    const startReplica = (name: string, memProbe = false, extraEnv: Record<string, string> = {}) =>
      ServerProcess.start({
        name,
        script: "server/index.ts",
        args: ["--api-only"],
        nodeArgs: [
          ...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${path.join(logDir, name)}`] : []),
          ...(memProbe ? ["--expose-gc"] : []),
          ...(LOOP_PROBE || memProbe ? ["--import", path.join(ROOT, "bench/loop-probe.ts")] : []),
        ],
        env: {
          ...env,
          INSTANCE_ID: name,
          ...(LOOP_PROBE ? { BENCH_LOOP_FILE: path.join(logDir, `${name}.loop.jsonl`) } : {}),
          ...(memProbe ? { BENCH_MEM_FILE: path.join(logDir, `${name}.mem.jsonl`) } : {}),
          ...extraEnv,
        },
        logDir,
        healthPath: "/api/health",
      });
    const needCluster = ONLY.some((s) => [1, 2, 3, 4, 5, 6, 8].includes(s));
    const replicas: ServerProcess[] = [];
    let cookies: string[] = [];
    if (needCluster) {
      replicas.push(await startReplica("replica-a"), await startReplica("replica-b"));
      cleanups.push(() => Promise.all(replicas.map((r) => r.stop())));
      for (const r of replicas.slice(0, 2)) await waitFor(async () => (await (await fetch(`${r.url}/api/health`)).json()).redis === "up", 20_000, `${r.name} redis up`);
      cookies = (await makeSessions(replicas.slice(0, 2).map((r) => r.url), P.sessions, "bench")).cookies;
    }
    const [a, b] = replicas;
    let servers: ServerProcess[] = replicas.slice(0, 2);
    const meter = new CpuMeter(() => ({
      server: servers.map((s) => s.pid),
      redis: [redisPid],
      postgres: processTree(postmasterPid),
      generator: workers.pids,
    }));

    // ------------------------------------------------------------ 1 (Tessera) and 5
    if (ONLY.includes(1) || ONLY.includes(5)) {
      const sizes = ONLY.includes(1) ? P.sweeps : [P.sweeps[0]];
      for (const [k, n] of sizes.entries()) {
        log(`scenario 1 (Tessera): ${n} clients on 2 replicas, ${Math.max(2, Math.round(n * P.latencySample))} of them in the latency sample`);
        const state = await connectSweep(workers, "tessera", [a.url, b.url], cookies, n);
        if (ONLY.includes(1)) {
          const rates = k === 0 ? P.rates : P.searchRates;
          results.sweeps.push(await sweep("tessera", workers, state, meter, () => servers, rates));
        }
        if (k === 0 && ONLY.includes(5)) results.outage = await outage(workers, redis, [a, b], meter, state);
        await workers.all(() => ({ cmd: "close" }));
      }
    }

    // ------------------------------------------------------------ 2
    if (ONLY.includes(2)) {
      results.durable = [];
      for (const window of P.durableWindows) {
        log(`scenario 2: ${P.durableClients} clients, ${window} in flight each, cooldown 0`);
        await connectAll(workers, { target: "tessera", urls: [a.url, b.url], cookies, count: P.durableClients, placers: P.durableClients }, [0, 1]);
        meter.begin();
        const rs = await workers.some<DurableResult>(LOAD, (i) => ({ cmd: "durable", durationMs: i < 2 ? P.durableMs : 0, window }));
        const cpu = meter.end();
        const h = new Histogram();
        let acked = 0;
        let rejected = 0;
        for (const r of rs) {
          if (r.ms < 1) continue;
          h.merge(r.ackHist);
          acked += r.acked;
          rejected += r.rejected;
        }
        const s = h.summary();
        const row = { clients: P.durableClients, window, ackedPerS: Math.round(acked / (P.durableMs / 1000)), ackP50: s.p50, ackP99: s.p99, ackMax: s.max, rejected, cpu };
        log("  ", row);
        results.durable.push(row);
        await workers.all(() => ({ cmd: "close" }));
      }
    }

    // ------------------------------------------------------------ baseline sweep
    if (ONLY.includes(1) && !NO_BASELINE) {
      log("scenario 1 (baseline): 2 Socket.IO processes with @socket.io/redis-adapter, the same generator");
      const base = await Promise.all(
        ["baseline-a", "baseline-b"].map((name) =>
          ServerProcess.start({ name, script: "bench/baselines/socketio-server.ts", env: { REDIS_URL: redis.url, NODE_ENV: "production" }, logDir, healthPath: "/health" }),
        ),
      );
      servers = base;
      try {
        const state = await connectSweep(workers, "socketio", base.map((s) => s.url), [], P.sweeps[0]);
        results.sweeps.push(await sweep("socket.io baseline", workers, state, meter, () => servers, P.rates));
        await workers.all(() => ({ cmd: "close" }));
      } finally {
        await Promise.all(base.map((s) => s.stop()));
        servers = [a, b];
      }
    }

    // ------------------------------------------------------------ 6: crowd presence
    if (ONLY.includes(6)) {
      servers = [a, b];
      results.crowd = await crowdScenario(workers, [a, b]);
    }

    // ------------------------------------------------------------ 8: live cursors
    if (ONLY.includes(8)) {
      servers = [a, b];
      results.cursors = await cursorScenario(workers, [a, b], meter);
    }

    // ------------------------------------------------------------ 3 and 4: one fresh replica, full board
    if (ONLY.includes(3) || ONLY.includes(4)) {
      await Promise.all(replicas.map((r) => r.stop()));
      if (ONLY.includes(3)) {
        const c = await startReplica("replica-c", true);
        replicas.push(c);
        servers = [c];
        results.idle = await idleScenario(c, workers, cookies, path.join(logDir, "replica-c.mem.jsonl"));
        await workers.all(() => ({ cmd: "close" }));
        await c.stop();
      }
      if (ONLY.includes(4)) {
        log("scenario 4: painting a 1000×1000 picture into the database (1,000,000 placements)");
        await fillPlacements(dbUrl, BOARD_SIDE * BOARD_SIDE, { users: 1, picture: true, append: true });
        const d = await startReplica("replica-d");
        replicas.push(d);
        servers = [d];
        results.canvas = await canvasScenario(d, workers, cookies);
        await workers.all(() => ({ cmd: "close" }));
        await d.stop();
      }
    }

    // ------------------------------------------------------------ 7: start-up with a long history
    if (ONLY.includes(7)) {
      await Promise.all(replicas.map((r) => r.stop()));
      const startupDb = await pgServer.createDatabase("tessera_startup");
      results.startup = await startupScenario(startupDb, (name) => startReplica(name, false, { DATABASE_URL: startupDb }));
    }

    // ------------------------------------------------------------ 9: capacity with 1, 2, 4 replicas
    if (ONLY.includes(9)) {
      await Promise.all(replicas.map((r) => r.stop()));
      results.capacity = await capacityScenario(workers, pgServer, redis.url, redisPid, postmasterPid, logDir, startReplica);
    }

    results.targets = judge(results);
    const outDir = path.join(ROOT, "bench/results");
    fs.mkdirSync(outDir, { recursive: true });
    const complete = !QUICK && ALL_SCENARIOS.every((s) => ONLY.includes(s)) && argv.every((a) => ["--profile", "--loop-probe", "--build"].includes(a));
    // Capacity alone (`--only=9`, optionally `--replicas=…` and its sizes) is a record of its own.
    const capacityRun = !QUICK && ONLY.length === 1 && ONLY[0] === 9;
    const jsonFile = path.join(outDir, complete ? "latest.json" : capacityRun ? "capacity.json" : "partial.json");
    fs.writeFileSync(jsonFile, JSON.stringify(results, null, 2) + "\n");
    log(`results: ${path.relative(ROOT, jsonFile)}`);
    const tables = markdownTables(results);
    console.log("\n" + tables);
    if (results.capacity) console.log("\n" + capacityTables(results));
    if (complete) {
      fs.writeFileSync(path.join(ROOT, "docs/bench-latency.svg"), latencySvg(results));
      const docFile = path.join(ROOT, "docs/BENCHMARKS.md");
      const doc = fs.readFileSync(docFile, "utf8");
      const begin = "<!-- bench:results:begin -->";
      const end = "<!-- bench:results:end -->";
      const i = doc.indexOf(begin);
      const j = doc.indexOf(end);
      if (i >= 0 && j > i) fs.writeFileSync(docFile, doc.slice(0, i + begin.length) + "\n" + tables + "\n" + doc.slice(j));
      log("updated docs/BENCHMARKS.md and docs/bench-latency.svg");
    }
    if (capacityRun && results.capacity) {
      const docFile = path.join(ROOT, "docs/SCALING.md");
      if (fs.existsSync(docFile)) {
        const doc = fs.readFileSync(docFile, "utf8");
        const begin = "<!-- bench:capacity:begin -->";
        const end = "<!-- bench:capacity:end -->";
        const i = doc.indexOf(begin);
        const j = doc.indexOf(end);
        if (i >= 0 && j > i) fs.writeFileSync(docFile, doc.slice(0, i + begin.length) + "\n" + capacityTables(results) + "\n" + doc.slice(j));
        log("updated docs/SCALING.md");
      }
    }
    log(`done in ${Math.round((Date.now() - startedAt) / 1000)} s`);
  } finally {
    await cleanup();
  }
}

// ---------------------------------------------------------------- helpers

/**
 * The JavaScript `/` ships (issue 14: under 200 KB compressed), from the production build in .next/
 * as `scripts/bundle-size.ts --json` measures it. The benchmark does not build by default (a build
 * takes minutes and rewrites .next/ under anyone using it): `--build` runs `npm run build` first;
 * otherwise the result names when the measured build was made.
 */
function bundleSize(): BundleResult {
  const git = (args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  };
  const commit = git(["rev-parse", "--short", "HEAD"]);
  if (BUILD) {
    log("npm run build (--build)");
    execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  }
  let out: string;
  try {
    out = execFileSync(process.execPath, ["--import", "tsx", "scripts/bundle-size.ts", "--json"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    // Exit 1 is "over the limit" and still prints the report; 2 is "no build".
    const e = err as { status?: number; stdout?: string; stderr?: string };
    if (e.status !== 1 || !e.stdout) return { commit, error: (e.stderr ?? String(err)).trim().split("\n")[0] };
    out = e.stdout;
  }
  const r = JSON.parse(out) as { totalGzipBytes: number; totalBytes: number; chunks: unknown[]; limitGzipBytes: number };
  const builtAt = fs.statSync(path.join(ROOT, ".next", "BUILD_ID")).mtime.toISOString();
  return { totalGzipBytes: r.totalGzipBytes, totalBytes: r.totalBytes, chunks: r.chunks.length, limitGzipBytes: r.limitGzipBytes, builtAt, commit };
}

async function redisProcessId(url: string): Promise<number> {
  const c = createClient({ url });
  await c.connect();
  const info = await c.info("server");
  await c.close();
  return Number(/process_id:(\d+)/.exec(info)?.[1] ?? -1);
}

/** `n` sessions (each a distinct user named `${prefix}${i}`), created over the given replicas, a few at a time. */
async function makeSessions(bases: string[], n: number, prefix: string, concurrency = 8): Promise<{ cookies: string[]; perS: number }> {
  const out: string[] = new Array(n);
  const started = performance.now();
  let next = 0;
  const one = async () => {
    for (let i = next++; i < n; i = next++) {
      const res = await fetch(`${bases[i % bases.length]}/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: `${prefix}${i}` }) });
      if (res.status !== 200) throw new Error(`POST /api/session: ${res.status} ${await res.text()}`);
      out[i] = res.headers.get("set-cookie")!.split(";")[0];
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  return { cookies: out, perS: Math.round(n / ((performance.now() - started) / 1000)) };
}

interface Connected {
  clients: number;
  ms: number;
  failed: number;
}

/** Open `count` clients spread evenly over the workers at `indices` (the load workers by default). */
async function connectAll(
  workers: WorkerPool,
  s: Omit<ConnectSpec, "localAddresses" | "concurrency"> & { localAddresses?: string[]; concurrency?: number },
  indices: readonly number[] = LOAD,
): Promise<Connected> {
  const started = performance.now();
  const k = indices.length;
  const rs = await workers.some<ConnectResult>(indices, (i) => {
    const pos = indices.indexOf(i);
    const share = (n: number) => Math.floor(n / k) + (pos < n % k ? 1 : 0);
    return { cmd: "connect", spec: { localAddresses: [], concurrency: 25, ...s, urlOffset: pos, count: share(s.count), placers: share(s.placers) } };
  });
  const opened = sum(rs, (r) => r.opened);
  const failed = sum(rs, (r) => r.failed);
  const ms = performance.now() - started;
  log(`  ${opened} connected in ${Math.round(ms)} ms${failed ? `, ${failed} failed (${rs.find((r) => r.firstError)?.firstError})` : ""}`);
  return { clients: opened, ms, failed };
}

/** The clients of a sweep and the seq every one of them has seen up to (Tessera). */
interface SweepState {
  target: Target;
  conn: Connected;
  sampled: number;
  seq: number;
}

/**
 * Open a sweep's `n` clients: the load workers hold most of them and the placers; the probe process
 * holds the latency sample (its first two clients, one per replica, are the idle placers of the
 * commit probe). All processes open at one shared pace with interleaved schedules, so a server's
 * write loop meets sampled clients at every position, not only at its end.
 */
async function connectSweep(workers: WorkerPool, target: Target, urls: string[], cookies: string[], n: number): Promise<SweepState> {
  const sampled = Math.min(n, Math.max(2, Math.round(n * P.latencySample)));
  const load = n - sampled;
  const counts = [...LOAD.map((i) => Math.floor(load / LOAD.length) + (i < load % LOAD.length ? 1 : 0)), sampled];
  const started = performance.now();
  const k = counts.length;
  const rs = await workers.all<ConnectResult>((i) => {
    const isProbe = i === PROBE;
    const spec: ConnectSpec = {
      target,
      urls,
      urlOffset: i,
      count: counts[i],
      placers: isProbe ? Math.min(2, counts[i]) : Math.floor(P.sweepPlacers / LOAD.length) + (i < P.sweepPlacers % LOAD.length ? 1 : 0),
      cookies,
      namePrefix: `w${i}-`,
      localAddresses: LOCAL_ADDRESSES,
      concurrency: 50,
      ratePerS: (P.connectPerS * counts[i]) / n,
      phase: i / k,
      latency: isProbe,
    };
    return { cmd: "connect", spec };
  });
  const opened = sum(rs, (r) => r.opened);
  const failed = sum(rs, (r) => r.failed);
  const ms = performance.now() - started;
  log(`  ${opened} connected in ${Math.round(ms)} ms${failed ? `, ${failed} failed (${rs.find((r) => r.firstError)?.firstError})` : ""}`);
  const seqs = rs.map((r) => r.maxWelcomeSeq).filter((v): v is number => v !== null);
  return { target, conn: { clients: opened, ms, failed }, sampled: rs[PROBE].opened, seq: seqs.length ? Math.max(...seqs) : 0 };
}

/** Wait until the workers together counted `expected` records, or nothing more arrives for a while. */
async function drain(workers: WorkerPool, expected: number, maxMs: number, quietMs = 2_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const got = sum(await workers.all<number>(() => ({ cmd: "received" })), (x) => x);
    if (got >= expected) return;
    if (got !== last) {
      last = got;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > quietMs) return;
    if (performance.now() > deadline) return;
    await sleep(100);
  }
}

interface Outcome {
  sent: number;
  acked: number;
  rejected: number;
  ack: ReturnType<Histogram["summary"]>;
  delivery: CollectResult;
  latency: ReturnType<Histogram["summary"]>;
  seqMismatch: string | null;
}

/**
 * Place on `placing` workers, drain, and check delivery at every client: the step's seqs are
 * (state.seq, highest acked seq]; the Socket.IO baseline has no seqs and is checked by counts.
 */
async function runPlacements(workers: WorkerPool, state: SweepState, placing: readonly number[], place: (i: number) => { ratePerS: number; durationMs: number; arrivals: Arrivals }): Promise<Outcome> {
  const placed = await workers.some<PlaceResult>(placing, (i) => ({ cmd: "place", ...place(i), phase: placing.indexOf(i) / placing.length, seed: 0x5eed + i * 7919 + state.seq }));
  const sent = sum(placed, (r) => r.sent);
  const acked = sum(placed, (r) => r.acked);
  const rejected = sum(placed, (r) => r.rejected);
  const ackH = new Histogram();
  for (const p of placed) ackH.merge(p.ackHist);
  const clients = state.conn.clients;
  await drain(workers, acked * clients, 15_000);
  let to: number | null = null;
  let seqMismatch: string | null = null;
  if (state.target === "tessera") {
    const top = Math.max(state.seq, ...placed.map((p) => p.maxSeq ?? 0));
    // Only the benchmark places, so the step's seqs are exactly the acked ones.
    if (top - state.seq !== acked) seqMismatch = `seqs ${state.seq + 1}…${top} for ${acked} acks`;
    to = top;
  }
  const collected = await workers.all<CollectResult>(() => ({ cmd: "collect", toSeq: to, expectedCount: acked }));
  if (to !== null) state.seq = to;
  const h = new Histogram();
  const d: CollectResult = { received: 0, hist: h.toJson(), clients: 0, sampled: 0, closed: 0, expected: 0, missing: 0, duplicates: 0, old: 0, beyond: 0, complete: 0, incomplete: 0, malformed: 0 };
  for (const c of collected) {
    h.merge(c.hist);
    for (const key of ["received", "clients", "sampled", "closed", "expected", "missing", "duplicates", "old", "beyond", "complete", "incomplete", "malformed"] as const) d[key] += c[key];
  }
  return { sent, acked, rejected, ack: ackH.summary(), delivery: d, latency: h.summary(), seqMismatch };
}

/** The idle placer: the probe's placers alone, a few placements a second. Its ack round trip is the commit latency. */
async function commitProbe(workers: WorkerPool, state: SweepState): Promise<SweepResult["commit"]> {
  const o = await runPlacements(workers, state, [PROBE], () => ({ ratePerS: P.commitProbeRate, durationMs: P.commitProbeMs, arrivals: "even" }));
  const r = { rate: P.commitProbeRate, acks: o.acked, p50: o.ack.p50, p99: o.ack.p99, receiptP50: o.latency.p50, receiptP99: o.latency.p99, missing: o.delivery.missing };
  log(`  idle placer (${P.commitProbeRate}/s, alone): ack (commit) p50 ${r.p50} p99 ${r.p99} ms; receipt p50 ${r.receiptP50} p99 ${r.receiptP99} ms`);
  return r;
}

/** Σ over replicas of the hub's fan-out histogram (`tessera_fanout_latency_seconds`): sum (s) and count (frames); null without /metrics. */
async function fanoutCounters(servers: ServerProcess[]): Promise<{ sum: number; count: number } | null> {
  try {
    let total = 0;
    let count = 0;
    for (const s of servers) {
      const res = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      if (res.status !== 200) throw new Error(`${s.name}: HTTP ${res.status}`);
      for (const line of (await res.text()).split("\n")) {
        const m = /^tessera_fanout_latency_seconds_(sum|count)(\{[^}]*\})? ([0-9.eE+-]+)$/.exec(line);
        if (m?.[1] === "sum") total += Number(m[3]);
        else if (m?.[1] === "count") count += Number(m[3]);
      }
    }
    return { sum: total, count };
  } catch (err) {
    log(`  /metrics unreadable: ${(err as Error).message}`);
    return null;
  }
}

async function sweep(target: string, workers: WorkerPool, state: SweepState, meter: CpuMeter, servers: () => ServerProcess[], rates: readonly number[]): Promise<SweepResult> {
  const { conn } = state;
  await sleep(1_000); // let presence pushes of the connection ramp settle
  const result: SweepResult = {
    target,
    clients: conn.clients,
    placers: P.sweepPlacers,
    sampled: state.sampled,
    arrivals: P.arrivals,
    connect: { ms: Math.round(conn.ms), failed: conn.failed },
    commit: await commitProbe(workers, state),
    steps: [],
    retried: [],
    bestRate: 0,
  };
  let failures = 0;
  for (let k = 0, retried = false; k < rates.length; k++) {
    const rate = rates[k];
    const hub0 = state.target === "tessera" ? await fanoutCounters(servers()) : null;
    meter.begin();
    const o = await runPlacements(workers, state, LOAD, () => ({ ratePerS: rate / LOAD.length, durationMs: P.stepMs, arrivals: P.arrivals }));
    const cpu = meter.end();
    const hub1 = hub0 ? await fanoutCounters(servers()) : null;
    const frames = hub0 && hub1 ? hub1.count - hub0.count : 0;
    const rss = servers().map((s) => mb(rssBytes(s.pid)));
    const d = o.delivery;
    const loss = d.expected > 0 ? d.missing / d.expected : 0;
    const s = o.latency;
    const pass = servers().every((x) => x.running) && d.missing === 0 && d.closed === 0 && o.rejected === 0 && o.acked === o.sent && o.seqMismatch === null && s.p99 !== null && s.p99 <= P.p99TargetMs;
    const step: SweepStep = {
      rate,
      sent: o.sent,
      acked: o.acked,
      rejected: o.rejected,
      achievedPerS: Math.round(o.acked / (P.stepMs / 1000)),
      clients: d.clients,
      expected: d.expected,
      delivered: d.received,
      missing: d.missing,
      loss: round(loss, 6),
      duplicates: d.duplicates,
      complete: d.complete,
      incomplete: d.incomplete,
      closed: d.closed,
      sampled: d.sampled,
      seqMismatch: o.seqMismatch,
      exited: servers()
        .filter((x) => !x.running)
        .map((x) => x.name),
      framesPerS: hub0 && hub1 ? Math.round(frames / (P.stepMs / 1000)) : null,
      hubWaitMs: hub0 && hub1 && frames > 0 ? round(((hub1.sum - hub0.sum) * 1000) / frames, 1) : null,
      p50: s.p50,
      p99: s.p99,
      max: s.max,
      ackP50: o.ack.p50,
      ackP99: o.ack.p99,
      cpu,
      serverRssMb: rss,
      pass,
    };
    // On a shared, noisy machine one bad step proves little: a step that failed narrowly (nothing
    // lost or dropped, p99 under twice the bound) is run once more and the second result counts
    // (both are kept in the results, the first marked as retried). A clear failure is not noise.
    const narrow = d.missing === 0 && d.closed === 0 && o.acked === o.sent && (s.p99 ?? Infinity) <= 2 * P.p99TargetMs;
    if (!pass && narrow && !retried) {
      log(`  ${target} @ ${rate}/s failed (p99 ${s.p99} ms, missing ${d.missing}, other CPU ${cpu.other}); running it once more`);
      result.retried.push(step);
      retried = true;
      k--;
      await sleep(1_000);
      continue;
    }
    retried = false;
    result.steps.push(step);
    log(
      `  ${target} @ ${rate}/s: ${step.exited.length ? `${step.exited.join(", ")} EXITED (see its log), ` : ""}acked ${o.acked}/${o.sent}, ${d.complete}/${d.complete + d.incomplete} clients complete (missing ${d.missing}, duplicates ${d.duplicates}${o.seqMismatch ? `, ${o.seqMismatch}` : ""}), ` +
        `p50 ${s.p50} p99 ${s.p99} max ${s.max} ms over ${d.sampled} sampled clients (ack p50 ${o.ack.p50} p99 ${o.ack.p99}; hub: ${step.framesPerS ?? "–"} frames/s, oldest record waited ${step.hubWaitMs ?? "–"} ms on average), cpu ${JSON.stringify(cpu)} ${pass ? "PASS" : "FAIL"}`,
    );
    // Only a saturated step (loss, drops, unanswered placements or p99 over a second) counts
    // towards giving up: a p99 just over the bound at a low rate says more about the machine.
    if (step.exited.length > 0) {
      log(`  ${target}: ${step.exited.join(", ")} exited; not pushing further`);
      break;
    }
    const saturated = !pass && (d.missing > 0 || d.closed > 0 || o.acked < o.sent || (s.p99 ?? 0) > 1_000);
    if (pass) {
      result.bestRate = Math.max(result.bestRate, rate);
      failures = 0;
    } else if (saturated && ++failures >= P.stopAfterFailures) {
      log(`  ${target}: ${failures} failing steps in a row; not pushing further`);
      break;
    }
    // Step gap: let stragglers and reconnects settle.
    await sleep(1_000);
  }
  return result;
}

/** Scenario 5: Redis killed for a while under load, then back; how long until everyone has everything. */
async function outage(workers: WorkerPool, redis: RedisProcess, replicas: ServerProcess[], meter: CpuMeter, state: SweepState): Promise<Record<string, unknown>> {
  log(`scenario 5: ${P.outageRate}/s placements; Redis down for ${P.outageMs / 1000} s, then back`);
  await workers.all(() => ({ cmd: "received" }));
  const clients = state.conn.clients;
  meter.begin();
  const placing = workers.some<PlaceResult>(LOAD, (i) => ({ cmd: "place", ratePerS: P.outageRate / LOAD.length, durationMs: P.outageMs + 2_000, arrivals: P.arrivals, phase: i / LOAD.length, seed: 0x0d0 + i }));
  await sleep(1_000);
  await redis.kill();
  const killedAt = performance.now();
  await waitFor(async () => {
    const h = await Promise.all(replicas.map(async (r) => (await (await fetch(`${r.url}/api/health`)).json()).redis));
    return h.every((s) => s === "down");
  }, 10_000, "replicas to see Redis down");
  const noticedDownMs = performance.now() - killedAt;
  await sleep(Math.max(0, P.outageMs - (performance.now() - killedAt)));
  await redis.start();
  const backAt = performance.now();
  const placed = await placing; // placing ends ~1 s after Redis is back, once every placement is acked
  const placedAt = performance.now();
  const acked = sum(placed, (r) => r.acked);
  const expected = acked * clients;
  let redisUpMs: number | null = null;
  let deliveredMs: number | null = null;
  await waitFor(
    async () => {
      if (redisUpMs === null) {
        const h = await Promise.all(replicas.map(async (r) => (await (await fetch(`${r.url}/api/health`)).json()).redis));
        if (h.every((s) => s === "up")) redisUpMs = performance.now() - backAt;
      }
      if (deliveredMs === null) {
        const got = sum(await workers.all<number>(() => ({ cmd: "received" })), (x) => x);
        if (got >= expected) deliveredMs = performance.now() - placedAt;
      }
      return redisUpMs !== null && deliveredMs !== null;
    },
    30_000,
    "catch-up after the Redis outage",
  ).catch(() => {});
  const cpu = meter.end();
  const to = Math.max(state.seq, ...placed.map((p) => p.maxSeq ?? 0));
  const collected = await workers.all<CollectResult>(() => ({ cmd: "collect", toSeq: to, expectedCount: acked }));
  state.seq = to;
  const h = new Histogram();
  for (const c of collected) h.merge(c.hist);
  const missing = sum(collected, (c) => c.missing);
  const r = {
    rate: P.outageRate,
    outageMs: P.outageMs,
    clients,
    acked,
    expected: sum(collected, (c) => c.expected),
    delivered: sum(collected, (c) => c.received),
    missing,
    duplicates: sum(collected, (c) => c.duplicates),
    incompleteClients: sum(collected, (c) => c.incomplete),
    loss: expected ? round(missing / Math.max(1, sum(collected, (c) => c.expected)), 6) : 0,
    noticedDownMs: Math.round(noticedDownMs),
    redisUpAfterMs: redisUpMs === null ? null : Math.round(redisUpMs),
    loadStoppedAfterMs: Math.round(placedAt - backAt),
    /** From the last ack of the load (which ran through the restart) until every client had every placement. */
    catchUpMs: deliveredMs === null ? null : Math.round(deliveredMs),
    latency: h.summary(),
    cpu,
  };
  log("  ", r);
  return r;
}

/** One GET with node:http (no decompression): time to headers and to the last byte, bytes on the wire. */
function timedGet(url: string, headers: Record<string, string>): Promise<{ ms: number; ttfbMs: number; bytes: number; status: number; seq: number; encoding: string | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get(url, { headers, agent: keepAlive }, (res) => {
        const ttfb = performance.now() - t0;
        let bytes = 0;
        res.on("data", (c: Buffer) => (bytes += c.length));
        res.on("end", () =>
          resolve({
            ms: performance.now() - t0,
            ttfbMs: ttfb,
            bytes,
            status: res.statusCode ?? 0,
            seq: Number(res.headers["x-canvas-seq"]),
            encoding: (res.headers["content-encoding"] as string | undefined) ?? null,
          }),
        );
        res.on("error", reject);
      })
      .on("error", reject);
  });
}
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

function pct(values: number[], q: number): number {
  const s = [...values].sort((x, y) => x - y);
  return round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))], 2);
}

/** Scenario 4: GET /api/canvas of a full 1000×1000 board — cold, cached, 304, and under placements. */
async function canvasScenario(replica: ServerProcess, workers: WorkerPool, cookies: string[]): Promise<Record<string, unknown>> {
  log("scenario 4: GET /api/canvas");
  const url = `${replica.url}/api/canvas`;
  // fetch() would inflate gzip itself; the measurement is of the bytes on the wire and the server's time.
  const gz = { "accept-encoding": "gzip" };
  const cold = await timedGet(url, gz);
  const series = async (headers: Record<string, string>, n: number) => {
    const out: Array<Awaited<ReturnType<typeof timedGet>>> = [];
    for (let i = 0; i < n; i++) out.push(await timedGet(url, headers));
    return out;
  };
  const summarise = (rs: Array<Awaited<ReturnType<typeof timedGet>>>) => ({
    requests: rs.length,
    p50Ms: pct(rs.map((r) => r.ms), 0.5),
    p99Ms: pct(rs.map((r) => r.ms), 0.99),
    ttfbP50Ms: pct(rs.map((r) => r.ttfbMs), 0.5),
    ttfbP99Ms: pct(rs.map((r) => r.ttfbMs), 0.99),
    bytes: rs[rs.length - 1].bytes,
    statuses: [...new Set(rs.map((r) => r.status))],
  });
  await series(gz, 20); // warm-up: JIT and connection
  const warmGzip = summarise(await series(gz, P.canvasRequests));
  const warmRaw = summarise(await series({ "accept-encoding": "identity" }, P.canvasRequests));
  const etag = (await fetch(url, { headers: gz })).headers.get("etag") ?? "";
  await (await fetch(url)).arrayBuffer().catch(() => null);
  const notModified = summarise(await series({ ...gz, "if-none-match": etag }, P.canvasRequests));
  // Under constant placements the seq changes every tick.
  await connectAll(workers, { target: "tessera", urls: [replica.url], cookies, count: 20, placers: 20 }, [0, 1]);
  const placing = workers.some<PlaceResult>([0, 1], (i) => ({ cmd: "place", ratePerS: 500, durationMs: QUICK ? 4_000 : 8_000, arrivals: "even", phase: i / 2, seed: i }));
  await sleep(500);
  const loaded = await series(gz, P.canvasRequests);
  await placing;
  await workers.all(() => ({ cmd: "close" }));
  const seqs = loaded.map((r) => r.seq);
  const r = {
    board: `${BOARD_SIDE}x${BOARD_SIDE}`,
    rawBytes: BOARD_SIDE * BOARD_SIDE,
    coldGzip: { ms: round(cold.ms, 2), bytes: cold.bytes, encoding: cold.encoding },
    warmGzip,
    warmRaw,
    notModified,
    underPlacements1000PerS: { ...summarise(loaded), distinctSeqs: new Set(seqs).size },
  };
  log("  ", JSON.stringify(r));
  return r;
}

/** Scenario 3: many idle connections on one replica — memory per connection and how fast they open. */
async function idleScenario(replica: ServerProcess, workers: WorkerPool, cookies: string[], memFile: string): Promise<Results["idle"]> {
  log(`scenario 3: ${P.idleConnections} idle connections on one replica`);
  const heap = async () => {
    const before = fs.existsSync(memFile) ? fs.readFileSync(memFile, "utf8").trim().split("\n").length : 0;
    process.kill(replica.pid, "SIGUSR2");
    const line = await waitFor(() => {
      const lines = fs.existsSync(memFile) ? fs.readFileSync(memFile, "utf8").trim().split("\n") : [];
      return lines.length > before ? lines[lines.length - 1] : null;
    }, 10_000, "memory figures from the replica");
    const m = JSON.parse(line) as { heapUsed: number; external: number; arrayBuffers: number };
    return m.heapUsed + m.external;
  };
  // Both readings the same way: full GC, a moment for the allocator to settle, then RSS.
  await sleep(1_500);
  const heapBefore = await heap();
  await sleep(2_000);
  const before = rssBytes(replica.pid);
  const conn = await connectAll(workers, {
    target: "tessera",
    urls: [replica.url],
    cookies: cookies.slice(0, 20),
    count: P.idleConnections,
    placers: 0,
    idle: true,
    localAddresses: LOCAL_ADDRESSES,
    concurrency: 50,
  });
  await sleep(3_000); // presence pushes settle
  const heapAfter = await heap();
  await sleep(2_000);
  const after = rssBytes(replica.pid);
  const n = Math.max(1, conn.clients);
  const r = {
    connections: P.idleConnections,
    opened: conn.clients,
    failed: conn.failed,
    seconds: round(conn.ms / 1000, 2),
    perS: Math.round(conn.clients / (conn.ms / 1000)),
    rssBeforeMb: mb(before),
    rssAfterMb: mb(after),
    bytesPerConnection: Math.round((after - before) / n),
    heapBytesPerConnection: Math.round((heapAfter - heapBefore) / n),
  };
  log("  ", r);
  return r;
}

// ---------------------------------------------------------------- 6: crowd presence

/** Active users according to each replica's /api/stats. */
async function activeUsers(replicas: ServerProcess[]): Promise<number[]> {
  return Promise.all(replicas.map(async (r) => ((await (await fetch(`${r.url}/api/stats`)).json()) as { activeUsers: number }).activeUsers));
}

/**
 * Scenario 6: N distinct users (one session each) join one board at 250 a second, alternating
 * between the two replicas, and nothing else happens. Every client counts the presence frames it
 * receives (`stats` and `user_list`, bytes on the wire); the replicas' CPU over the same window is
 * divided by the joins. The window runs from the first join until every client's last presence
 * frames say N users (or a deadline), plus one push interval for stragglers.
 */
async function crowdScenario(workers: WorkerPool, replicas: ServerProcess[]): Promise<NonNullable<Results["crowd"]>> {
  const rows: CrowdRow[] = [];
  const skipped: Array<{ n: number; reason: string }> = [];
  const meter = new CpuMeter(() => ({ server: replicas.map((r) => r.pid) }));
  // One session per user, made once for the largest crowd; each crowd uses the first N (the
  // previous crowd has left by then, so every user joins afresh).
  const largest = Math.max(...P.crowd);
  log(`scenario 6: creating ${largest} sessions (one user each)`);
  const sessions = await makeSessions(replicas.map((r) => r.url), largest, "crowd-", 16);
  log(`  ${largest} sessions created (${sessions.perS}/s)`);
  for (const n of P.crowd) {
    const last = rows[rows.length - 1];
    // Growth as measured between the last two crowds (N³ when there is only one: protocol 1's worst case).
    const prev = rows[rows.length - 2];
    const k = last && prev && prev.totalBytes > 0 ? Math.log(last.totalBytes / prev.totalBytes) / Math.log(last.n / prev.n) : 3;
    if (last && last.totalBytes * (n / last.n) ** k > P.crowdMaxBytes) {
      const reason = `the ${last.n.toLocaleString("en-US")}-user crowd received ${mb(last.totalBytes)} MB of presence; growing as N^${round(k, 1)} this one would pass ${P.crowdMaxBytes / 1e9} GB`;
      log(`scenario 6: skipping N = ${n}: ${reason}`);
      skipped.push({ n, reason });
      continue;
    }
    log(`scenario 6: crowd of ${n} distinct users joining at ${P.crowdJoinPerS}/s over 2 replicas`);
    await waitFor(async () => (await activeUsers(replicas)).every((u) => u === 0), 30_000, "an empty board before the crowd");
    const t0 = Date.now();
    meter.begin();
    const conn = connectDistinct(workers, replicas.map((r) => r.url), sessions.cookies.slice(0, n), P.crowdJoinPerS, { presence: true });
    const joined = await conn;
    const joinSeconds = (Date.now() - t0) / 1000;
    // Converged: every client's last stats and user_list say n users (protocol 2 lists say `total`).
    let converged = false;
    const deadline = Date.now() + 20_000 + n;
    while (Date.now() < deadline) {
      // stats only while polling: parsing every client's last user_list costs a lot at quadratic sizes
      const ps = await workers.some<PresenceResult>(LOAD, () => ({ cmd: "presence", sinceMs: t0, untilMs: Date.now(), lists: false }));
      const ok = ps.every((p) => p.clients === 0 || p.lastActiveUsers?.min === joined.clients);
      if (ok) {
        converged = true;
        break;
      }
      await sleep(250);
    }
    await sleep(500); // one more push interval: whatever was still coming is counted
    const t1 = Date.now();
    const { cores, seconds } = meter.endWithSeconds();
    const ps = await workers.some<PresenceResult>(LOAD, () => ({ cmd: "presence", sinceMs: t0, untilMs: t1, lists: true }));
    const widen = (key: "lastActiveUsers" | "lastListUsers" | "lastListTotal") =>
      ps.reduce<{ min: number; max: number } | null>((acc, p) => (p[key] ? (acc ? { min: Math.min(acc.min, p[key]!.min), max: Math.max(acc.max, p[key]!.max) } : p[key]) : acc), null);
    const statsBytes = sum(ps, (p) => p.statsBytes);
    const listBytes = sum(ps, (p) => p.listBytes);
    converged &&= ps.every((p) => p.clients === 0 || p.lastListTotal?.min === joined.clients);
    const clientSeconds = sum(ps, (p) => p.clientSeconds);
    const cpuSeconds = (cores.server ?? 0) * seconds;
    const row: CrowdRow = {
      n,
      joinPerS: P.crowdJoinPerS,
      opened: joined.clients,
      failed: joined.failed,
      joinSeconds: round(joinSeconds, 1),
      windowSeconds: round((t1 - t0) / 1000, 1),
      converged,
      totalBytes: statsBytes + listBytes,
      statsBytes,
      listBytes,
      frames: sum(ps, (p) => p.statsFrames + p.listFrames),
      bytesPerClientPerS: Math.round((statsBytes + listBytes) / Math.max(1e-9, clientSeconds)),
      bytesPerS: Math.round((statsBytes + listBytes) / Math.max(1e-9, (t1 - t0) / 1000)),
      largestFrame: Math.max(...ps.map((p) => p.largestFrame)),
      serverCpuSeconds: round(cpuSeconds, 2),
      serverCpuMsPerJoin: round((cpuSeconds * 1000) / Math.max(1, joined.clients), 2),
      lastActiveUsers: widen("lastActiveUsers"),
      lastListUsers: widen("lastListUsers"),
      lastListTotal: widen("lastListTotal"),
      listShape: ps.map((p) => p.listShape).find((s) => s !== null) ?? null,
      sessionsPerS: sessions.perS,
    };
    log("  ", JSON.stringify(row));
    rows.push(row);
    await workers.all(() => ({ cmd: "close" }));
  }
  return { rows, skipped };
}

/** Distinct users' connections (one session each), paced to `perS` in total, alternating replicas. */
async function connectDistinct(workers: WorkerPool, urls: string[], cookies: string[], perS: number, extra: Pick<ConnectSpec, "presence" | "cursors">): Promise<Connected> {
  const k = LOAD.length;
  const started = performance.now();
  const rs = await workers.some<ConnectResult>(LOAD, (i) => {
    // Worker i holds users i, i + k, i + 2k, …: with interleaved schedules the joins alternate replicas.
    const mine = cookies.filter((_, j) => j % k === i);
    return {
      cmd: "connect",
      spec: {
        target: "tessera",
        urls,
        urlOffset: i,
        count: mine.length,
        placers: 0,
        cookies: mine,
        localAddresses: LOCAL_ADDRESSES,
        concurrency: 100,
        ratePerS: perS / k,
        phase: i / k,
        ...extra,
      },
    };
  });
  const opened = sum(rs, (r) => r.opened);
  const failed = sum(rs, (r) => r.failed);
  const ms = performance.now() - started;
  log(`  ${opened} joined in ${Math.round(ms)} ms${failed ? `, ${failed} failed (${rs.find((r) => r.firstError)?.firstError})` : ""}`);
  return { clients: opened, ms, failed };
}

// ---------------------------------------------------------------- filling the database (4, 7) and 7: start-up

/**
 * Add `n` placements to the main board, generated inside PostgreSQL (one INSERT … SELECT over
 * generate_series), by `users` users, with increasing times. Random x, y and colours over the board
 * (scenario 7), or with `picture` every pixel once, as blocky regions with 10 % noise (scenario 4).
 * `append` keeps the history and continues its seqs; otherwise it replaces the board's history.
 * The only code that knows the schema:
 *  - before revision 2: placements(seq, x, y, color, user_id, placed_at), the counter in
 *    canvas_meta(id = 1), cooldowns in users.last_placed_at;
 *  - revision 2 (docs/ARCHITECTURE.md, data model), recognised by its `boards` table: placements
 *    gain board_id = 'main' (PK board_id, seq), the counter is boards.seq of 'main', cooldowns and
 *    counts live in board_users, and the board's snapshots go with its history.
 */
async function fillPlacements(dbUrl: string, n: number, opts: { users: number; picture?: boolean; append?: boolean }): Promise<void> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ boards: string | null; snapshots: string | null }>("select to_regclass('public.boards')::text as boards, to_regclass('public.snapshots')::text as snapshots");
    const r2 = rows[0].boards !== null;
    const counter = r2 ? "select seq from boards where id = 'main'" : "select seq from canvas_meta where id = 1";
    const t0 = Date.now() - n; // one placement per ms, ending now
    await c.query("begin");
    await c.query("set local maintenance_work_mem = '512MB'");
    const base = opts.append ? Number((await c.query<{ seq: string }>(counter + " for update")).rows[0].seq) : 0;
    // Secondary indexes are dropped and rebuilt around the insert (a sorted build instead of
    // 10,000,000 random B-tree inserts); their definitions come from the catalogue, whatever the schema.
    const indexes = (
      await c.query<{ name: string; def: string }>(
        `select indexname as name, indexdef as def from pg_indexes where schemaname = 'public' and tablename = 'placements'
         and indexname not in (select conname from pg_constraint where conrelid = 'public.placements'::regclass)`,
      )
    ).rows;
    for (const ix of indexes) await c.query(`drop index "${ix.name}"`);
    await c.query(`insert into users (id, name, created_at) select 'fill-' || i, 'filler ' || i, ${t0} from generate_series(1, ${opts.users}) i on conflict (id) do nothing`);
    // The benchmark's databases hold only `main`; with other boards only main's rows would go.
    const others = r2 ? Number((await c.query<{ n: string }>("select count(*) as n from boards where id <> 'main'")).rows[0].n) : 0;
    if (!opts.append) {
      await c.query(others > 0 ? "delete from placements where board_id = 'main'" : "truncate placements");
      if (rows[0].snapshots !== null) await c.query(others > 0 ? "delete from snapshots where board_id = 'main'" : "truncate snapshots");
      if (r2) await c.query(others > 0 ? "delete from board_users where board_id = 'main'" : "truncate board_users");
    }
    const side = BOARD_SIDE;
    const rowsSql = opts.picture
      ? `select s, p % ${side} as x, p / ${side} as y,
                case when (hashint4(s::int) & 2147483647) % 10 = 0 then (hashint4(-s::int) & 2147483647) % 32
                     else ((p % ${side}) / 40 + (p / ${side}) / 25) % 32 end as color,
                'fill-' || (1 + (hashint4(s::int + 7) & 2147483647) % ${opts.users}) as user_id
         from (select s, (s * 7919) % ${side * side} as p from generate_series(1::bigint, ${n}) as s) q`
      : `select s, floor(random() * ${side})::int as x, floor(random() * ${side})::int as y, floor(random() * 32)::int as color,
                'fill-' || (1 + floor(random() * ${opts.users}))::int as user_id
         from generate_series(1::bigint, ${n}) as s`;
    if (r2) {
      await c.query(`insert into placements (board_id, seq, x, y, color, user_id, placed_at) select 'main', ${base} + s, x, y, color, user_id, ${t0} + s from (${rowsSql}) g`);
      await c.query(`update boards set seq = ${base + n} where id = 'main'`);
      await c.query(
        `insert into board_users as bu (board_id, user_id, last_placed_at, placements)
         select 'main', user_id, max(placed_at), count(*) from placements where board_id = 'main' and seq > ${base} group by user_id
         on conflict (board_id, user_id) do update set last_placed_at = greatest(bu.last_placed_at, excluded.last_placed_at), placements = bu.placements + excluded.placements`,
      );
    } else {
      await c.query(`insert into placements (seq, x, y, color, user_id, placed_at) select ${base} + s, x, y, color, user_id, ${t0} + s from (${rowsSql}) g`);
      await c.query(`update canvas_meta set seq = ${base + n} where id = 1`);
      await c.query(`update users set last_placed_at = ${t0 + n} where id like 'fill-%'`);
    }
    for (const ix of indexes) await c.query(ix.def);
    await c.query("commit");
    // As a live database would be: statistics known, dirty pages written out.
    await c.query("analyze");
    await c.query("checkpoint");
  } finally {
    await c.end();
  }
}

/** The newest snapshot's seq (0 when none), or null when the schema has no snapshots. */
async function newestSnapshot(dbUrl: string): Promise<number | null> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ t: string | null }>("select to_regclass('public.snapshots')::text as t");
    if (rows[0].t === null) return null;
    return Number((await c.query<{ s: string | null }>("select max(seq) as s from snapshots")).rows[0].s ?? 0);
  } finally {
    await c.end();
  }
}

/**
 * Scenario 7: how long a replica takes from process start to healthy (GET /api/health answers 200)
 * with a long history in the database, and its RSS then. Tessera creates the schema on an empty
 * database first (its migrations), the history is filled in SQL, then a replica is started twice:
 * right after the fill, and again after it ran for a while (with snapshots, once they exist, the
 * second start need not replay everything).
 */
async function startupScenario(dbUrl: string, start: (name: string) => Promise<ServerProcess>): Promise<NonNullable<Results["startup"]>> {
  log("scenario 7: start-up; creating the schema with an empty database");
  const creating = await start("replica-s0");
  const schemaStartMs = Math.round(creating.startMs);
  await creating.stop();
  // Started again on the empty database: what every start pays whatever the history (Node, tsx,
  // modules, connections, an empty board).
  const empty = await start("replica-s0-again");
  const emptyStartMs = Math.round(empty.startMs);
  const emptyRssMb = mb(rssBytes(empty.pid));
  await empty.stop();
  log(`  empty database: healthy after ${schemaStartMs} ms creating the schema, ${emptyStartMs} ms started again (RSS ${emptyRssMb} MB)`);
  const rows: StartupRow[] = [];
  for (const n of P.startup) {
    log(`  filling ${n.toLocaleString("en-US")} placements`);
    const f0 = performance.now();
    await fillPlacements(dbUrl, n, { users: P.startupUsers });
    const fillSeconds = round((performance.now() - f0) / 1000, 1);
    log(`  filled in ${fillSeconds} s`);
    const first = await start(`replica-s${n}`);
    const firstStartMs = Math.round(first.startMs);
    const firstRssMb = mb(rssBytes(first.pid));
    log(`  first start: healthy after ${firstStartMs} ms, RSS ${firstRssMb} MB`);
    // With snapshots (revision 2) the loaded replica writes the missing ones in the background:
    // the restart is timed once the last due one is stored (or after a deadline, which the table shows).
    let snaps = await newestSnapshot(dbUrl);
    if (snaps !== null) {
      const due = Math.floor(n / SNAPSHOT_EVERY_PLACEMENTS) * SNAPSHOT_EVERY_PLACEMENTS;
      await waitFor(async () => ((await newestSnapshot(dbUrl)) ?? 0) >= due, 180_000, "the snapshots to be written").catch(() => {});
      snaps = await newestSnapshot(dbUrl);
    }
    await first.stop();
    const again = await start(`replica-s${n}-again`);
    const row: StartupRow = { placements: n, fillSeconds, firstStartMs, firstRssMb, restartMs: Math.round(again.startMs), restartRssMb: mb(rssBytes(again.pid)), newestSnapshotBeforeRestart: snaps };
    await again.stop();
    log(`  restart: healthy after ${row.restartMs} ms, RSS ${row.restartRssMb} MB`);
    rows.push(row);
  }
  return { schemaStartMs, emptyStartMs, emptyRssMb, rows };
}

// ---------------------------------------------------------------- 8: live cursors

/**
 * Scenario 8 (issue 11): P.cursorUsers distinct users on the main board, alternating between the two
 * replicas, each sending a `view` and then a `cursor` move P.cursorMovesPerS times a second (SPEC
 * §11's limit). One row per view size: every client's view is a square of that side at a random
 * place, so it holds about (users − 1) × (side / 1000)² of the others' cursors. Every client counts
 * the `cursors` frames it receives; the replicas' and Redis's CPU is read over the same window.
 */
async function cursorScenario(workers: WorkerPool, replicas: ServerProcess[], meter: CpuMeter): Promise<NonNullable<Results["cursors"]>> {
  const n = P.cursorUsers;
  log(`scenario 8: ${n} users moving cursors at ${P.cursorMovesPerS}/s on one board over ${replicas.length} replicas`);
  const sessions = await makeSessions(
    replicas.map((r) => r.url),
    n,
    "cursor-",
    16,
  );
  const conn = await connectDistinct(
    workers,
    replicas.map((r) => r.url),
    sessions.cookies,
    P.cursorJoinPerS,
    { cursors: true },
  );
  await sleep(1_000); // the joins' presence pushes settle
  const rows: CursorRow[] = [];
  for (const [k, side] of P.cursorViews.entries()) {
    await workers.some(LOAD, (i) => ({ cmd: "cursors", action: "start", movesPerS: P.cursorMovesPerS, viewSide: side, seed: 0xc0 + i * 31 + k * 7 }));
    // Warm-up: views answered in full, every cursor appeared; then the measured window.
    await sleep(P.cursorWarmupMs);
    await workers.some(LOAD, () => ({ cmd: "cursors", action: "collect" }));
    meter.begin();
    await sleep(P.cursorMs);
    const rs = await workers.some<CursorResult>(LOAD, () => ({ cmd: "cursors", action: "collect" }));
    const { cores, seconds } = meter.endWithSeconds();
    await workers.some(LOAD, () => ({ cmd: "cursors", action: "stop" }));
    const clients = sum(rs, (r) => r.clients);
    const cs = Math.max(1e-9, sum(rs, (r) => r.clientSeconds));
    const per = rs.flatMap((r) => r.entriesPerClientPerS).sort((x, y) => x - y);
    const at = (q: number) => round(per.length ? per[Math.min(per.length - 1, Math.floor(q * per.length))] : 0, 1);
    const row: CursorRow = {
      viewSide: side,
      expectedInView: round((n - 1) * (Math.min(side, BOARD_SIDE) / BOARD_SIDE) ** 2, 0),
      clients,
      closed: sum(rs, (r) => r.closed),
      seconds: round(seconds, 1),
      sentPerClientPerS: round(sum(rs, (r) => r.sent) / cs, 2),
      sentBytesPerClientPerS: Math.round(sum(rs, (r) => r.sentBytes) / cs),
      framesPerClientPerS: round(sum(rs, (r) => r.frames) / cs, 2),
      bytesPerClientPerS: Math.round(sum(rs, (r) => r.bytes) / cs),
      entriesPerClientPerS: round(sum(rs, (r) => r.entries) / cs, 1),
      entriesPerClientPerSRange: [at(0), at(0.5), per.length ? round(per[per.length - 1], 1) : 0],
      gonePerS: round(sum(rs, (r) => r.gone) / seconds, 1),
      largestFrame: Math.max(...rs.map((r) => r.largestFrame)),
      cpu: cores,
      serverCpuMsPerClientPerS: round(((cores.server ?? 0) * 1000) / Math.max(1, clients), 3),
      redisCpuMsPerS: round((cores.redis ?? 0) * 1000, 1),
    };
    log("  ", JSON.stringify(row));
    rows.push(row);
  }
  log(`  ${conn.clients} cursor clients closing`);
  await workers.all(() => ({ cmd: "close" }));
  return { users: n, movesPerS: P.cursorMovesPerS, joinPerS: P.cursorJoinPerS, rows };
}

// ---------------------------------------------------------------- 9: capacity with 1, 2, 4 replicas

/** Σ over every sample of each metric (labels summed), from one replica's /metrics. */
async function scrape(server: ServerProcess): Promise<Map<string, number>> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (res.status !== 200) throw new Error(`${server.name} /metrics: HTTP ${res.status}`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.eE+-]+)$/.exec(line);
    if (m) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[3]));
  }
  return out;
}

async function redisCounters(c: { info(section: string): Promise<unknown> }): Promise<RedisCounters> {
  const stats = String(await c.info("stats"));
  const cmds = String(await c.info("commandstats"));
  const num = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return {
    commands: num(stats, /total_commands_processed:(\d+)/),
    publish: num(cmds, /cmdstat_publish:calls=(\d+)/),
    netIn: num(stats, /total_net_input_bytes:(\d+)/),
    netOut: num(stats, /total_net_output_bytes:(\d+)/),
  };
}

/** The WAL position in bytes (pg_current_wal_lsn): its growth is what PostgreSQL wrote for the interval. */
async function walBytes(dbUrl: string): Promise<number> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ b: string }>("select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint::text as b");
    return Number(rows[0].b);
  } finally {
    await c.end();
  }
}

/** The replica's live heap + external after a full GC (it runs with the memory probe of bench/loop-probe.ts). */
async function heapOf(replica: ServerProcess, memFile: string): Promise<number> {
  const lines = () => (fs.existsSync(memFile) ? fs.readFileSync(memFile, "utf8").trim().split("\n").filter(Boolean) : []);
  const before = lines().length;
  process.kill(replica.pid, "SIGUSR2");
  const line = await waitFor(() => {
    const l = lines();
    return l.length > before ? l[l.length - 1] : null;
  }, 10_000, `memory figures from ${replica.name}`);
  const m = JSON.parse(line) as { heapUsed: number; external: number };
  return m.heapUsed + m.external;
}

/**
 * Scenario 9 (issue 13): for each replica count R (1, 2, 4), a fresh database and R replicas on the
 * one Redis; P.capacityClients clients spread evenly over them (200 placing, the latency sample as
 * in scenario 1). Measured: memory per connection (RSS and live heap), an idle window (what holding
 * the connections costs), one fan-out step at P.capacityRate placements/s (CPU per delivered record
 * and per socket write, net of the idle cost; Redis and PostgreSQL per placement), and a join burst
 * of P.capacityJoins distinct users at P.crowdJoinPerS (CPU per join).
 */
async function capacityScenario(
  workers: WorkerPool,
  pgServer: PrivatePostgres,
  redisUrl: string,
  redisPid: number,
  postmasterPid: number,
  logDir: string,
  startReplica: (name: string, memProbe?: boolean, extraEnv?: Record<string, string>) => Promise<ServerProcess>,
): Promise<NonNullable<Results["capacity"]>> {
  const rows: CapacityRow[] = [];
  const rc = createClient({ url: redisUrl });
  await rc.connect();
  const n = P.capacityClients;
  const j = P.capacityJoins;
  try {
    for (const r of P.replicas) {
      log(`scenario 9: ${r} replica${r > 1 ? "s" : ""}; ${n} clients, ${P.capacityRate} placements/s; then ${j} joins at ${P.crowdJoinPerS}/s`);
      const db = await pgServer.createDatabase(`tessera_capacity_${r}`);
      const names = Array.from({ length: r }, (_, i) => `cap${r}-${i}`);
      const reps = await Promise.all(names.map((name) => startReplica(name, true, { DATABASE_URL: db })));
      try {
        for (const x of reps) await waitFor(async () => (await (await fetch(`${x.url}/api/health`)).json()).redis === "up", 20_000, `${x.name} redis up`);
        const urls = reps.map((x) => x.url);
        const meter = new CpuMeter(() => ({ server: reps.map((x) => x.pid), redis: [redisPid], postgres: processTree(postmasterPid), generator: workers.pids }));
        const cookies = (await makeSessions(urls, P.sessions, `cap${r}-`)).cookies;
        const joinCookies = (await makeSessions(urls, j, `join${r}-`, 16)).cookies;
        const memFiles = names.map((name) => path.join(logDir, `${name}.mem.jsonl`));
        const readFanout = async () => {
          const m = await Promise.all(reps.map(scrape));
          return {
            frames: sum(m, (x) => x.get("tessera_fanout_frames_total") ?? 0),
            records: sum(m, (x) => x.get("tessera_fanout_records_total") ?? 0),
            frameCounts: m.map((x) => x.get("tessera_fanout_frames_total") ?? 0),
            connections: m.map((x) => x.get("tessera_connections") ?? 0),
            commits: sum(m, (x) => x.get("tessera_commits_total") ?? 0),
          };
        };
        // A frame is written to every client of its replica.
        const writesBetween = (a: Awaited<ReturnType<typeof readFanout>>, b: Awaited<ReturnType<typeof readFanout>>) =>
          b.frameCounts.reduce((t, f, i) => t + (f - a.frameCounts[i]) * b.connections[i], 0);

        // The placers alone (the same rate to 200 clients): with the step below, it separates what
        // a placement costs from what a socket write costs.
        const few = await connectSweep(workers, "tessera", urls, cookies, P.sweepPlacers);
        await sleep(1_000);
        const fa0 = await readFanout();
        meter.begin();
        const oa = await runPlacements(workers, few, LOAD, () => ({ ratePerS: P.capacityRate / LOAD.length, durationMs: P.stepMs, arrivals: P.arrivals }));
        const stepA = meter.endWithSeconds(4);
        const fa1 = await readFanout();
        await workers.all(() => ({ cmd: "close" }));
        await sleep(1_000);
        const heaps = async () => {
          let t = 0;
          for (const [i, x] of reps.entries()) t += await heapOf(x, memFiles[i]);
          return t;
        };
        await sleep(1_500);
        const heap0 = await heaps();
        const rss0 = reps.map((x) => rssBytes(x.pid));
        const state = await connectSweep(workers, "tessera", urls, cookies, n);
        await sleep(3_000); // the connection ramp's presence pushes settle
        const heap1 = await heaps();
        const rss1 = reps.map((x) => rssBytes(x.pid));
        const conns = Math.max(1, state.conn.clients);

        // Idle: the connections alone (presence pushes, heartbeats, Redis presence records).
        const ri0 = await redisCounters(rc);
        meter.begin();
        await sleep(P.capacityIdleMs);
        const idle = meter.endWithSeconds(4);
        const ri1 = await redisCounters(rc);

        // The fan-out step.
        const f0 = await readFanout();
        const r0 = await redisCounters(rc);
        const w0 = await walBytes(db);
        meter.begin();
        const o = await runPlacements(workers, state, LOAD, () => ({ ratePerS: P.capacityRate / LOAD.length, durationMs: P.stepMs, arrivals: P.arrivals }));
        const step = meter.endWithSeconds(4);
        const w1 = await walBytes(db);
        const r1 = await redisCounters(rc);
        const f1 = await readFanout();
        const frames = f1.frames - f0.frames;
        const records = f1.records - f0.records;
        const writes = writesBetween(f0, f1);
        const commits = f1.commits - f0.commits;
        const acked = Math.max(1, o.acked);
        const serverS = (step.cores.server ?? 0) * step.seconds;
        const idleCores = idle.cores.server ?? 0;
        const netServerS = Math.max(0, serverS - idleCores * step.seconds);
        const s = o.latency;

        // A slow step to the same clients: nearly every placement is a frame of its own, so the writes
        // dominate its cost — what separates a socket write from a placement in the fit below.
        const fc0 = await readFanout();
        meter.begin();
        const oc = await runPlacements(workers, state, LOAD, () => ({ ratePerS: P.capacitySlowRate / LOAD.length, durationMs: P.stepMs, arrivals: P.arrivals }));
        const stepC = meter.endWithSeconds(4);
        const fc1 = await readFanout();
        const writesA = writesBetween(fa0, fa1);
        const writesC = writesBetween(fc0, fc1);
        // Server CPU seconds beyond what the connections cost idle = placements × a + socket writes × b,
        // fitted (least squares) over the three steps: placers alone, the fan-out step, the slow step.
        const net = (c: { cores: Record<string, number>; seconds: number }, clients: number) => (c.cores.server ?? 0) * c.seconds - idleCores * (clients / conns) * c.seconds;
        const fit = fitTwo([
          { p: oa.acked, w: writesA, y: net(stepA, few.conn.clients) },
          { p: o.acked, w: writes, y: netServerS },
          { p: oc.acked, w: writesC, y: net(stepC, conns) },
        ]);
        const perPlacement = fit?.a ?? null;
        const perWrite = fit?.b ?? null;
        const pass = reps.every((x) => x.running) && o.delivery.missing === 0 && o.delivery.closed === 0 && o.acked === o.sent && s.p99 !== null && s.p99 <= P.p99TargetMs;
        await workers.all(() => ({ cmd: "close" }));

        // The join burst: distinct users, paced, alternating replicas, until everyone's stats say all of them.
        await waitFor(async () => (await activeUsers(reps)).every((u) => u === 0), 30_000, "an empty board before the joins");
        const rj0 = await redisCounters(rc);
        const t0 = Date.now();
        meter.begin();
        const joined = await connectDistinct(workers, urls, joinCookies, P.crowdJoinPerS, { presence: true });
        let converged = false;
        const deadline = Date.now() + 20_000 + j;
        while (Date.now() < deadline) {
          const ps = await workers.some<PresenceResult>(LOAD, () => ({ cmd: "presence", sinceMs: t0, untilMs: Date.now(), lists: false }));
          if (ps.every((p) => p.clients === 0 || p.lastActiveUsers?.min === joined.clients)) {
            converged = true;
            break;
          }
          await sleep(250);
        }
        const join = meter.endWithSeconds(4);
        const rj1 = await redisCounters(rc);
        await workers.all(() => ({ cmd: "close" }));
        const jn = Math.max(1, joined.clients);
        const cpuS = (c: { cores: Record<string, number>; seconds: number }, key: string) => (c.cores[key] ?? 0) * c.seconds;

        const row: CapacityRow = {
          replicas: r,
          clients: state.conn.clients,
          connectMs: Math.round(state.conn.ms),
          failed: state.conn.failed,
          rssIdleMb: rss0.map(mb),
          rssConnectedMb: rss1.map(mb),
          rssPerConnectionKb: round((sum(rss1, (x) => x) - sum(rss0, (x) => x)) / conns / 1024, 1),
          heapPerConnectionKb: round((heap1 - heap0) / conns / 1024, 1),
          idle: {
            seconds: round(idle.seconds, 1),
            cpu: idle.cores,
            serverUsPerConnectionPerS: round(((idle.cores.server ?? 0) * 1e6) / conns, 2),
            redisCommandsPerS: Math.round((ri1.commands - ri0.commands) / idle.seconds),
          },
          step: {
            rate: P.capacityRate,
            seconds: round(step.seconds, 1),
            acked: o.acked,
            delivered: o.delivery.received,
            missing: o.delivery.missing,
            incomplete: o.delivery.incomplete,
            p50: s.p50,
            p99: s.p99,
            ackP99: o.ack.p99,
            pass,
            cpu: step.cores,
            framesPerS: Math.round(frames / (P.stepMs / 1000)),
            recordsPerFrame: round(records / Math.max(1, frames), 1),
            writes,
            serverNsPerDeliveredRecord: Math.round((netServerS * 1e9) / Math.max(1, o.delivery.received)),
            serverUsPerWrite: round((netServerS * 1e6) / Math.max(1, writes), 2),
            serverUsPerPlacement: Math.round((serverS * 1e6) / acked),
            placersOnly: {
              clients: few.conn.clients,
              acked: oa.acked,
              p50: oa.latency.p50,
              p99: oa.latency.p99,
              writes: writesA,
              serverCores: round(stepA.cores.server ?? 0, 3),
              seconds: round(stepA.seconds, 1),
            },
            slow: {
              rate: P.capacitySlowRate,
              acked: oc.acked,
              p50: oc.latency.p50,
              p99: oc.latency.p99,
              missing: oc.delivery.missing,
              writes: writesC,
              serverCores: round(stepC.cores.server ?? 0, 3),
              seconds: round(stepC.seconds, 1),
            },
            split: { usPerPlacement: perPlacement === null ? null : round(perPlacement * 1e6, 1), usPerWrite: perWrite === null ? null : round(perWrite * 1e6, 2) },
            redisUsPerPlacement: round((cpuS(step, "redis") * 1e6) / acked, 1),
            redisCommandsPerPlacement: round((r1.commands - r0.commands) / acked, 3),
            redisPublishesPerPlacement: round((r1.publish - r0.publish) / acked, 3),
            redisBytesOutPerPlacement: Math.round((r1.netOut - r0.netOut) / acked),
            postgresUsPerPlacement: round((cpuS(step, "postgres") * 1e6) / acked, 1),
            commits,
            placementsPerCommit: round(o.acked / Math.max(1, commits), 1),
            walBytesPerPlacement: Math.round((w1 - w0) / acked),
          },
          join: {
            n: j,
            perS: P.crowdJoinPerS,
            opened: joined.clients,
            failed: joined.failed,
            seconds: round(join.seconds, 1),
            converged,
            cpu: join.cores,
            serverMsPerJoin: round((cpuS(join, "server") * 1000) / jn, 2),
            redisUsPerJoin: round((cpuS(join, "redis") * 1e6) / jn, 1),
            redisCommandsPerJoin: round((rj1.commands - rj0.commands) / jn, 1),
            postgresUsPerJoin: round((cpuS(join, "postgres") * 1e6) / jn, 1),
          },
        };
        log("  ", JSON.stringify(row));
        rows.push(row);
      } finally {
        await Promise.all(reps.map((x) => x.stop()));
      }
    }
  } finally {
    await rc.close();
  }
  return { clients: n, rate: P.capacityRate, joins: j, joinPerS: P.crowdJoinPerS, stepMs: P.stepMs, idleMs: P.capacityIdleMs, rows };
}

// ---------------------------------------------------------------- targets

function judge(r: Results): Results["targets"] {
  const out: NonNullable<Results["targets"]> = [];
  const tess = r.sweeps.filter((s) => s.target === "tessera");
  const main = tess.find((s) => s.clients >= 2_000) ?? tess[0];
  const base = r.sweeps.find((s) => s.target !== "tessera");
  if (main) {
    const ratio = base && base.bestRate > 0 ? main.bestRate / base.bestRate : null;
    out.push({
      name: `fan-out: highest rate with p99 ≤ 100 ms, zero loss, ${main.clients.toLocaleString("en-US")} clients`,
      target: "≥ 5,000/s and ≥ 10× baseline",
      measured: `${main.bestRate}/s vs baseline ${base ? `${base.bestRate}/s` : "not run"}${ratio ? ` (${round(ratio, 1)}×)` : base ? " (baseline passed no step)" : ""}`,
      met: main.bestRate >= 5_000 && (!base || base.bestRate === 0 || main.bestRate >= 10 * base.bestRate),
    });
    const at5k = main.steps.find((s) => s.rate === 5_000);
    if (at5k) {
      out.push({
        name: `5,000 placements/s, ${main.clients.toLocaleString("en-US")} clients`,
        target: "zero loss, p99 ≤ 100 ms",
        measured: `${at5k.missing} records missing (${at5k.complete}/${at5k.complete + at5k.incomplete} clients complete), p99 ${at5k.p99} ms`,
        met: at5k.pass,
      });
    }
    const low = main.steps.filter((s) => s.rate >= 10 && s.rate <= 500 && s.p50 !== null);
    if (low.length && main.commit.p50 !== null) {
      const worst = low.reduce((w, s) => (s.p50! > w.p50! ? s : w));
      out.push({
        name: "p50 placement → receipt at 10–500/s, against the commit latency (idle placer's ack p50)",
        target: "within 5 ms",
        measured: `commit p50 ${main.commit.p50} ms; receipt p50 ${low.map((s) => `${s.p50}`).join(" / ")} ms at ${low.map((s) => s.rate).join(" / ")}/s (worst +${worst.p50! - main.commit.p50} ms at ${worst.rate}/s)`,
        met: worst.p50! - main.commit.p50 <= 5,
      });
    }
  }
  for (const s of tess.filter((x) => x !== main)) {
    out.push({ name: `fan-out: highest passing rate, ${s.clients.toLocaleString("en-US")} clients`, target: "reported", measured: `${s.bestRate}/s (rates tried: ${s.steps.map((x) => x.rate).join(", ")})`, met: null });
  }
  const d = r.durable?.find((x) => x.window === 1);
  if (d) out.push({ name: "durable acked placements (50 clients, 1 in flight each)", target: "≥ 20,000/s, ack p99 ≤ 50 ms", measured: `${d.ackedPerS}/s, p99 ${d.ackP99} ms`, met: d.ackedPerS >= 20_000 && (d.ackP99 ?? 1e9) <= 50 });
  const dw = r.durable?.find((x) => x.window > 1);
  if (dw) out.push({ name: `durable acked placements (50 clients, ${dw.window} in flight each)`, target: "≥ 20,000/s, ack p99 ≤ 50 ms", measured: `${dw.ackedPerS}/s, p99 ${dw.ackP99} ms`, met: dw.ackedPerS >= 20_000 && (dw.ackP99 ?? 1e9) <= 50 });
  if (r.idle) {
    // RSS can fall during the step (the replica hands memory back); then only the heap figure means anything.
    const rssValid = r.idle.bytesPerConnection > 0;
    const perConn = rssValid ? r.idle.bytesPerConnection : r.idle.heapBytesPerConnection;
    const measured = rssValid
      ? `${round(perConn / 1024, 1)} KB RSS (${r.idle.perS} connections/s)`
      : `RSS fell during the step; live heap ${round(perConn / 1024, 1)} KB (${r.idle.perS} connections/s)`;
    out.push({ name: "memory per idle connection", target: "≤ 10 KB", measured, met: perConn <= 10 * 1024 });
  }
  if (r.canvas) {
    const w = r.canvas.warmGzip as { p50Ms: number; p99Ms: number };
    const l = r.canvas.underPlacements1000PerS as { p50Ms: number; p99Ms: number };
    out.push({ name: "GET /api/canvas, 1000×1000 gzip (cached; under 1,000 placements/s), median", target: "≤ 5 ms", measured: `p50 ${w.p50Ms} ms (p99 ${w.p99Ms}); under load p50 ${l.p50Ms} ms (p99 ${l.p99Ms})`, met: w.p50Ms <= 5 && l.p50Ms <= 5 });
  }
  if (r.outage) {
    const c = r.outage.catchUpMs as number | null;
    out.push({ name: "catch-up after a Redis outage under load", target: "≤ 1 s", measured: c === null ? "did not complete" : `${c} ms (Redis seen up again after ${r.outage.redisUpAfterMs} ms)`, met: c !== null && c <= 1_000 });
  }
  const crowd = r.crowd?.rows ?? [];
  if (crowd.length >= 2) {
    const first = crowd[0];
    const lastRow = crowd[crowd.length - 1];
    const ratio = lastRow.bytesPerClientPerS / Math.max(1, first.bytesPerClientPerS);
    out.push({
      name: `crowd: presence bytes per client per second, N = ${first.n.toLocaleString("en-US")} → ${lastRow.n.toLocaleString("en-US")}`,
      target: "flat: within 2×",
      measured: `${crowd.map((c) => `${(c.bytesPerClientPerS / 1024).toFixed(1)} KB/s`).join(" → ")} (${round(ratio, 1)}×)${r.crowd!.skipped.length ? `; N = ${r.crowd!.skipped.map((s) => s.n).join(", ")} skipped` : ""}`,
      met: ratio <= 2 && r.crowd!.skipped.length === 0 && crowd.every((c) => c.converged),
    });
  }
  for (const c of r.cursors?.rows ?? []) {
    out.push({
      name: `live cursors: ${r.cursors!.users} users × ${r.cursors!.movesPerS} moves/s on one board, 2 replicas, views of ${c.viewSide} px (≈ ${c.expectedInView} others in view)`,
      target: "reported (issue 11)",
      measured: `per client ${(c.bytesPerClientPerS / 1024).toFixed(1)} KB/s received (${c.entriesPerClientPerS} positions/s), server CPU ${c.serverCpuMsPerClientPerS} ms/s per client${c.closed ? `; ${c.closed} clients closed` : ""}`,
      met: null,
    });
  }
  if (r.bundle) {
    const b = r.bundle;
    out.push({
      name: "JavaScript shipped by `/` (gzip -9)",
      target: `< ${((b.limitGzipBytes ?? 200_000) / 1000).toFixed(0)} KB`,
      measured: b.error ? `not measured: ${b.error}` : `${((b.totalGzipBytes ?? 0) / 1000).toFixed(1)} KB (build of ${b.builtAt?.slice(0, 16).replace("T", " ")} UTC)`,
      met: b.error ? null : (b.totalGzipBytes ?? 0) < (b.limitGzipBytes ?? 0),
    });
  }
  const big = r.startup?.rows.find((x) => x.placements >= 10_000_000);
  if (big) out.push({ name: "start-up with 10,000,000 placements in history, to healthy", target: "< 3 s", measured: `first start ${big.firstStartMs} ms, restart ${big.restartMs} ms (RSS ${big.restartRssMb} MB)`, met: big.restartMs < 3_000 });
  return out;
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
