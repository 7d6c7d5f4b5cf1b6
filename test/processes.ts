// Real processes for cluster tests: redis-server on a free port (killable and restartable on the
// same port) and Tessera replicas started as `node server/index.ts --api-only`.

import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Send one inline command to a Redis server and return its reply line, or null when unreachable. */
async function redisCommand(port: number, command: string, password?: string): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    const replies = password ? 2 : 1; // AUTH's reply first, then the command's
    let buf = "";
    sock.setTimeout(1_000, () => {
      sock.destroy();
      resolve(null);
    });
    sock.on("error", () => resolve(null));
    sock.on("connect", () => sock.write((password ? `AUTH ${password}\r\n` : "") + command + "\r\n"));
    sock.on("data", (d) => {
      buf += d.toString();
      const lines = buf.split("\r\n");
      if (lines.length > replies) {
        sock.destroy();
        resolve(lines[replies - 1]);
      }
    });
  });
}

export class RedisProcess {
  private proc: ChildProcess | null = null;
  private dir: string | null = null;

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  static async start(extraArgs: string[] = []): Promise<RedisProcess> {
    const r = new RedisProcess(await freePort(), extraArgs);
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    // Its own directory: a replica's full sync writes dump.rdb there, never into the working tree.
    this.dir ??= fs.mkdtempSync(path.join(os.tmpdir(), "tessera-redis-"));
    this.proc = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir, ...this.extraArgs], {
      stdio: "ignore",
    });
    const i = this.extraArgs.indexOf("--requirepass");
    const password = i >= 0 ? this.extraArgs[i + 1] : undefined;
    await waitFor(async () => (await redisCommand(this.port, "PING", password)) === "+PONG", 10_000, "redis-server to answer");
  }

  /** kill -9: no goodbye to anyone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await exited;
    this.proc = null;
  }

  /** Kill it and remove its directory (it cannot be restarted after this). */
  async stop(): Promise<void> {
    await this.kill();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

/**
 * A replica must answer /api/health within this. Generous: an embedded database's first open takes
 * 2–3 s on an idle machine and many times that when the whole test suite shares two cores.
 */
const REPLICA_START_DEADLINE_MS = 90_000;

export interface ReplicaOptions {
  env: Record<string, string>;
  instanceId: string;
  /** false: serve the page too (needs `npm run build`), in production mode. */
  apiOnly?: boolean;
}

export class ReplicaProcess {
  private proc: ChildProcess | null = null;
  readonly output: string[] = [];

  private constructor(
    readonly port: number,
    readonly instanceId: string,
    /** The environment of the next start(); change it between stop() and start() to reconfigure. */
    public env: Record<string, string>,
    private readonly apiOnly: boolean,
  ) {}

  static async start(opts: ReplicaOptions): Promise<ReplicaProcess> {
    const r = new ReplicaProcess(await freePort(), opts.instanceId, opts.env, opts.apiOnly ?? true);
    await r.start();
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ["--import", "tsx", path.join(ROOT, "server/index.ts"), ...(this.apiOnly ? ["--api-only"] : [])];
    this.proc = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: "warn", ...(this.apiOnly ? {} : { NODE_ENV: "production" }), ...this.env, PORT: String(this.port), INSTANCE_ID: this.instanceId, HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc.stdout!.on("data", (d) => this.output.push(d.toString()));
    this.proc.stderr!.on("data", (d) => this.output.push(d.toString()));
    const p = this.proc;
    try {
      await waitFor(
        async () => {
          if (p.exitCode !== null) throw new Error(`replica ${this.instanceId} exited: ${this.output.join("")}`);
          try {
            return (await fetch(`${this.url}/api/health`)).status === 200;
          } catch {
            return false;
          }
        },
        REPLICA_START_DEADLINE_MS,
        `replica ${this.instanceId} to serve`,
      );
    } catch (err) {
      // Never leave a replica running behind a failed start.
      if (p.exitCode === null) p.kill("SIGKILL");
      this.proc = null;
      throw err;
    }
  }

  /** Stop with a signal and wait for the process to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return p?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
    p.kill(signal);
    const code = await exited;
    this.proc = null;
    return code;
  }
}

/** Longer than the health check's own database deadline: a replica that answers at all answers within it. */
const HEALTH_ANSWER_MS = 5_000;

/** GET /api/health of a replica, or null while it does not answer (within HEALTH_ANSWER_MS). */
export async function health(url: string): Promise<{ status: string; redis: string; db: string; instanceId: string } | null> {
  try {
    return await (await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(HEALTH_ANSWER_MS) })).json();
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Redis Sentinel: sentinels are `redis-server <conf> --sentinel`, each with its own config file
// (a sentinel rewrites its file as it learns the topology, so no two may share one).

/** A RESP reply: simple and bulk strings, integers, null, errors as Error values, and arrays of these. */
export type RespValue = string | number | null | Error | RespValue[];

/** Parse one RESP2 reply at `at`; null when `buf` does not hold all of it yet. */
function parseResp(buf: string, at: number): { value: RespValue; end: number } | null {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return null;
  const head = buf.slice(at + 1, eol);
  const next = eol + 2;
  switch (buf[at]) {
    case "+":
      return { value: head, end: next };
    case "-":
      return { value: new Error(head), end: next };
    case ":":
      return { value: Number(head), end: next };
    case "$": {
      const len = Number(head);
      if (len < 0) return { value: null, end: next };
      // Byte lengths: the replies read here (INFO, SENTINEL, ROLE) are ASCII.
      if (buf.length < next + len + 2) return null;
      return { value: buf.slice(next, next + len), end: next + len + 2 };
    }
    case "*": {
      const n = Number(head);
      if (n < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let end = next;
      for (let i = 0; i < n; i++) {
        const item = parseResp(buf, end);
        if (!item) return null;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
  }
  throw new Error(`not a RESP reply: ${JSON.stringify(buf.slice(at, at + 40))}`);
}

/**
 * Send one command (arguments sent as a RESP array, so they may contain spaces) and return its
 * parsed reply; null when the server cannot be reached or does not answer within a second.
 */
export async function redisQuery(port: number, args: string[], password?: string): Promise<RespValue> {
  const encode = (a: string[]) => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("");
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let buf = "";
    let skip = password ? 1 : 0; // AUTH's reply comes first
    sock.setTimeout(1_000, () => {
      sock.destroy();
      resolve(null);
    });
    sock.on("error", () => resolve(null));
    sock.on("connect", () => sock.write((password ? encode(["AUTH", password]) : "") + encode(args)));
    sock.on("data", (d) => {
      buf += d.toString();
      for (;;) {
        const r = parseResp(buf, 0);
        if (!r) return;
        buf = buf.slice(r.end);
        if (skip > 0) {
          skip--;
          continue;
        }
        sock.destroy();
        resolve(r.value);
        return;
      }
    });
  });
}

export interface SentinelOptions {
  /** The monitored master's name (`REDIS_SENTINEL_NAME`). */
  masterName: string;
  masterPort: number;
  /** Sentinels that must agree the master is down before a failover. */
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  /** The password of the monitored master and its replicas. */
  authPass?: string;
  /** The sentinel's own password, asked of clients and of the other sentinels (all share it). */
  requirePass?: string;
}

export class SentinelProcess {
  private proc: ChildProcess | null = null;
  readonly output: string[] = [];

  private constructor(
    readonly port: number,
    readonly configFile: string,
    readonly password: string | undefined,
  ) {}

  /** Write a config file for a sentinel on a free port into `dir` and start it. */
  static async start(dir: string, opts: SentinelOptions): Promise<SentinelProcess> {
    const port = await freePort();
    const configFile = path.join(dir, `sentinel-${port}.conf`);
    const name = opts.masterName;
    const lines = [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${opts.masterPort} ${opts.quorum}`,
      `sentinel down-after-milliseconds ${name} ${opts.downAfterMs}`,
      `sentinel failover-timeout ${name} ${opts.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${name} 1`,
      ...(opts.authPass ? [`sentinel auth-pass ${name} ${opts.authPass}`] : []),
      ...(opts.requirePass ? [`requirepass ${opts.requirePass}`] : []),
    ];
    fs.writeFileSync(configFile, lines.join("\n") + "\n");
    const s = new SentinelProcess(port, configFile, opts.requirePass);
    await s.start();
    return s;
  }

  async start(): Promise<void> {
    const p = spawn("redis-server", [this.configFile, "--sentinel"], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = p;
    p.stdout!.on("data", (d) => this.output.push(d.toString()));
    p.stderr!.on("data", (d) => this.output.push(d.toString()));
    await waitFor(
      async () => {
        if (p.exitCode !== null) throw new Error(`sentinel on ${this.port} exited: ${this.output.join("")}`);
        return (await redisCommand(this.port, "PING", this.password)) === "+PONG";
      },
      10_000,
      `sentinel on ${this.port} to answer`,
    );
  }

  /** SENTINEL <args…> against this sentinel. */
  query(...args: string[]): Promise<RespValue> {
    return redisQuery(this.port, ["SENTINEL", ...args], this.password);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await exited;
    this.proc = null;
  }
}

/** A flat RESP array of alternating names and values (SENTINEL master / replicas / sentinels entries) as a map. */
export function respFields(v: RespValue): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(v)) return out;
  for (let i = 0; i + 1 < v.length; i += 2) out[String(v[i])] = String(v[i + 1]);
  return out;
}

interface SentinelTopologyOptions {
  masterName: string;
  /** Password of the master and its replica (`--requirepass` and `--masterauth`). */
  password?: string;
  /** The sentinels' own password. */
  sentinelPassword?: string;
  downAfterMs: number;
  failoverTimeoutMs: number;
}

/**
 * A Redis master, one replica of it, and three sentinels (quorum 2) monitoring it, all on free
 * ports; start() returns once every sentinel knows the replica (in sync) and the two other
 * sentinels, which a failover needs. `master` and `replica` name the processes as started: after a
 * failover the roles are swapped, and a killed node restarted with start() comes back as a master
 * that the sentinels turn into a replica (see awaitReplica).
 */
export class SentinelTopology {
  static readonly SENTINELS = 3;
  static readonly QUORUM = 2;

  private constructor(
    readonly opts: SentinelTopologyOptions,
    readonly master: RedisProcess,
    readonly replica: RedisProcess,
    readonly sentinels: SentinelProcess[],
  ) {}

  /** `dir` holds the sentinels' config files and each node's RDB files; the caller removes it. */
  static async start(dir: string, opts: SentinelTopologyOptions): Promise<SentinelTopology> {
    const auth = opts.password ? ["--requirepass", opts.password, "--masterauth", opts.password] : [];
    // --dir: a replica writes the RDB it syncs from its master into its working directory; each node
    // has its own, so a restarted node never loads another's file.
    const nodeArgs = (name: string) => {
      const d = path.join(dir, name);
      fs.mkdirSync(d, { recursive: true });
      return [...auth, "--dir", d];
    };
    const master = await RedisProcess.start(nodeArgs("node-a"));
    const replica = await RedisProcess.start([...nodeArgs("node-b"), "--replicaof", "127.0.0.1", String(master.port)]);
    const sentinels: SentinelProcess[] = [];
    const t = new SentinelTopology(opts, master, replica, sentinels);
    try {
      for (let i = 0; i < SentinelTopology.SENTINELS; i++) {
        sentinels.push(
          await SentinelProcess.start(dir, {
            masterName: opts.masterName,
            masterPort: master.port,
            quorum: SentinelTopology.QUORUM,
            downAfterMs: opts.downAfterMs,
            failoverTimeoutMs: opts.failoverTimeoutMs,
            authPass: opts.password,
            requirePass: opts.sentinelPassword,
          }),
        );
      }
      await t.awaitReplica(replica);
    } catch (err) {
      await t.stop();
      throw err;
    }
    return t;
  }

  /**
   * Wait until `node` is a replica in sync with the current master and every sentinel lists it as
   * one and knows the other sentinels: from then on a failover can promote it.
   */
  async awaitReplica(node: RedisProcess, timeoutMs = 30_000): Promise<void> {
    const name = this.opts.masterName;
    await waitFor(
      async () => {
        const info = await redisQuery(node.port, ["INFO", "replication"], this.opts.password);
        if (typeof info !== "string" || !info.includes("master_link_status:up")) return false;
        for (const s of this.sentinels) {
          const replicas = await s.query("replicas", name);
          const peers = await s.query("sentinels", name);
          if (!Array.isArray(replicas) || !Array.isArray(peers) || peers.length !== SentinelTopology.SENTINELS - 1) return false;
          if (!replicas.some((r) => respFields(r).port === String(node.port) && respFields(r).flags === "slave")) return false;
        }
        return true;
      },
      timeoutMs,
      `redis :${node.port} in sync as a replica, and known as one by every sentinel`,
    );
  }

  /** `host:port,…` of the sentinels, as REDIS_SENTINELS takes it. */
  get sentinelList(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",");
  }

  /** The master's port as every sentinel names it (SENTINEL GET-MASTER-ADDR-BY-NAME), or null while they differ or do not answer. */
  async agreedMasterPort(): Promise<number | null> {
    const ports = await Promise.all(
      this.sentinels.map(async (s) => {
        const addr = await s.query("get-master-addr-by-name", this.opts.masterName);
        return Array.isArray(addr) ? Number(addr[1]) : null;
      }),
    );
    return ports.every((p) => p !== null && p === ports[0]) ? ports[0] : null;
  }

  /** The `ROLE` a Redis node reports ("master", "slave"), or null when it does not answer. */
  async role(node: RedisProcess): Promise<string | null> {
    const role = await redisQuery(node.port, ["ROLE"], this.opts.password);
    return Array.isArray(role) && typeof role[0] === "string" ? role[0] : null;
  }

  async stop(): Promise<void> {
    await Promise.all(this.sentinels.map((s) => s.stop()));
    await Promise.all([this.master.stop(), this.replica.stop()]);
  }
}
