// Processes the benchmark starts and watches: Tessera replicas and Socket.IO baseline servers (with
// their pids, so CPU and RSS can be read from /proc), forked load-generator workers, and /proc sampling.

import { type ChildProcess, fork, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/processes";
import { waitFor } from "../test/wait";
import type { WorkerCommand, WorkerReply } from "./common";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLK_TCK = 100;

/** A server process of the benchmark (a Tessera replica or a baseline server). */
export class ServerProcess {
  private proc: ChildProcess | null = null;
  /** From spawn until the health path first answered 200, in ms (the last start). */
  startMs = 0;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    private readonly healthPath: string,
  ) {}

  static async start(opts: {
    name: string;
    script: string;
    args?: string[];
    nodeArgs?: string[];
    env: Record<string, string>;
    logDir: string;
    healthPath: string;
  }): Promise<ServerProcess> {
    const port = await freePort();
    const args = ["--import", "tsx", ...(opts.nodeArgs ?? []), path.join(ROOT, opts.script), ...(opts.args ?? [])];
    const p = new ServerProcess(opts.name, port, args, opts.env, path.join(opts.logDir, `${opts.name}.log`), opts.healthPath);
    await p.start();
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.proc?.pid ?? -1;
  }

  /** False once the process exited by itself (a crash); see the log file. */
  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    const log = fs.openSync(this.logFile, "a");
    const t0 = performance.now();
    this.proc = spawn(process.execPath, this.args, {
      cwd: ROOT,
      env: { ...process.env, ...this.env, PORT: String(this.port), HOST: "127.0.0.1" },
      stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    const p = this.proc;
    await waitFor(
      async () => {
        if (p.exitCode !== null) throw new Error(`${this.name} exited (${p.exitCode}); see ${this.logFile}`);
        try {
          return (await fetch(this.url + this.healthPath)).status === 200;
        } catch {
          return false;
        }
      },
      300_000,
      `${this.name} to serve`,
    );
    this.startMs = performance.now() - t0;
  }

  /** SIGTERM (a --cpu-prof replica writes its profile on the way out) and wait. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill(signal);
    const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(t);
    this.proc = null;
  }
}

// ---------------------------------------------------------------- /proc sampling

/**
 * CPU seconds (user + system) of one process and of its children that exited and were reaped by it,
 * or 0 when it is gone. The children matter for PostgreSQL: a backend that exits during a step (a
 * pool closing an idle connection) takes its CPU seconds with it, and they reappear in the
 * postmaster's cutime/cstime; children still alive are not in those fields, so nothing counts twice.
 */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLK_TCK; // utime, stime, cutime, cstime
  } catch {
    return 0;
  }
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A process and all its descendants (PostgreSQL is a postmaster with a backend per connection). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** CPU seconds the whole machine spent busy (all cores, /proc/stat). */
function machineBusySeconds(): number {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0];
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
  return (total - f[3] - f[4]) / CLK_TCK;
}

/**
 * Named groups of pids whose CPU is measured over an interval, plus `other`: whatever else kept the
 * machine busy meanwhile (other people's test runs on a shared machine show up there).
 */
export class CpuMeter {
  private start = new Map<string, number>();
  private t0 = 0;

  constructor(private readonly groups: () => Record<string, number[]>) {}

  private sample(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [name, pids] of Object.entries(this.groups())) m.set(name, pids.reduce((s, p) => s + cpuSeconds(p), 0));
    m.set("machine", machineBusySeconds());
    return m;
  }

  begin(): void {
    this.start = this.sample();
    this.t0 = performance.now();
  }

  /** Average cores used by each group since `begin()` (1.0 = one full core). */
  end(): Record<string, number> {
    return this.endWithSeconds().cores;
  }

  /**
   * Cores as `end()`, plus the interval's length in seconds (cores × seconds = CPU seconds).
   * `digits`: rounding of the cores (per-connection figures need more than two).
   */
  endWithSeconds(digits = 2): { cores: Record<string, number>; seconds: number } {
    const now = this.sample();
    const secs = (performance.now() - this.t0) / 1000;
    const out: Record<string, number> = {};
    let known = 0;
    for (const [name, v] of now) {
      const cores = (v - (this.start.get(name) ?? v)) / secs;
      if (name !== "machine") {
        // A process of the group that exited without being reaped by another member loses its seconds.
        out[name] = Math.max(0, Math.round(cores * 10 ** digits) / 10 ** digits);
        known += cores;
      } else {
        out.other = cores;
      }
    }
    out.other = Math.max(0, Math.round((out.other - known) * 10 ** digits) / 10 ** digits);
    return { cores: out, seconds: secs };
  }
}

// ---------------------------------------------------------------- load-generator workers

export class WorkerPool {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(readonly procs: ChildProcess[]) {
    for (const p of procs) {
      p.on("message", (m: WorkerReply) => {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        if (m.ok) w.resolve(m.result);
        else w.reject(new Error(m.error));
      });
    }
  }

  static start(n: number): WorkerPool {
    const procs = Array.from({ length: n }, () =>
      fork(path.join(ROOT, "bench/worker.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] }),
    );
    return new WorkerPool(procs);
  }

  get size(): number {
    return this.procs.length;
  }

  get pids(): number[] {
    return this.procs.map((p) => p.pid ?? -1);
  }

  call<T>(i: number, cmd: DistributiveOmit<WorkerCommand, "id">): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.procs[i].send({ ...cmd, id } as WorkerCommand);
    });
  }

  all<T>(make: (i: number) => DistributiveOmit<WorkerCommand, "id">): Promise<T[]> {
    return Promise.all(this.procs.map((_, i) => this.call<T>(i, make(i))));
  }

  /** The same as `all`, on the workers at `indices` only (results in that order). */
  some<T>(indices: readonly number[], make: (i: number) => DistributiveOmit<WorkerCommand, "id">): Promise<T[]> {
    return Promise.all(indices.map((i) => this.call<T>(i, make(i))));
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.procs.map((_, i) => this.call(i, { cmd: "exit" })));
    for (const p of this.procs) if (p.exitCode === null) p.kill();
  }
}

export type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
