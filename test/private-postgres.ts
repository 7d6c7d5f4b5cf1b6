// A private, throw-away PostgreSQL cluster (initdb + postgres in a temp dir on a free port) that
// tests and benchmarks can stop, kill and restart without touching the machine's own server.
// PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` system user.
//
// Nothing may outlive the process that started a cluster: the postmaster gets a parent-death
// signal (setpriv), so it dies with its starter however that ends; a normal exit or process.exit()
// also removes the directory; and a directory left by a killed starter is removed by the next start.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "./processes";
import { waitFor } from "./wait";

const DIR_PREFIX = "tessera-pg-";
/** Names the process that owns a cluster directory; a directory whose owner is gone is stale. */
const OWNER_FILE = "owner.pid";
const START_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 1_000;
const OLD_POSTMASTER_EXIT_TIMEOUT_MS = 10_000;
/** fs.rmSync retries while a just-killed server may still be writing files. */
const RM_RETRIES = 10;
const RM_RETRY_DELAY_MS = 50;

function pgBinDir(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) {
    if (!fs.existsSync(path.join(fromEnv, "initdb"))) throw new Error(`PG_BIN=${fromEnv} has no initdb`);
    return fromEnv;
  }
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const dir = path.join(root, v, "bin");
    if (fs.existsSync(path.join(dir, "initdb"))) return dir;
  }
  throw new Error(
    "PostgreSQL server binaries (initdb) not found in /usr/lib/postgresql/*/bin: " +
      "install them (Debian: apt-get install postgresql, or run scripts/ensure-system-deps.sh as root), " +
      "set PG_BIN to their directory, or set TEST_PG_URL to a server of your own",
  );
}

function onPath(program: string): string | null {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    const p = path.join(dir, program);
    if (dir && fs.existsSync(p)) return p;
  }
  return null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: RM_RETRIES, retryDelay: RM_RETRY_DELAY_MS });
}

/** The postmaster of a cluster directory if it is still running from that directory. */
function runningPostmaster(dir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    if (!pid || !alive(pid)) return null;
    // pids are reused: only a postgres whose command line names this directory is ours to kill
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes(dir) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Remove the directories (and kill any postmaster still in them) of clusters whose starting process
 * is gone — a run killed with SIGKILL cannot clean up after itself. Directories without an owner
 * file, or whose owner is alive (another run, a teammate's benchmark), are left alone.
 */
function sweepStaleClusters(): void {
  const tmp = os.tmpdir();
  let entries: string[];
  try {
    entries = fs.readdirSync(tmp).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = path.join(tmp, name);
    try {
      const owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8").trim());
      if (!owner || alive(owner)) continue;
      const pm = runningPostmaster(dir);
      if (pm) process.kill(pm, "SIGKILL");
      removeDir(dir);
    } catch {
      // no owner file, or it vanished meanwhile: not ours to judge
    }
  }
}

/** Clusters this process started and has not destroyed, for the exit hook. */
const live = new Set<PrivatePostgres>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: no clean shutdown, just kill and delete. vitest turns
  // SIGINT/SIGTERM into process.exit(), which lands here too; a starter killed outright takes its
  // postmaster along (parent-death signal) and leaves the directory to the next start's sweep.
  process.on("exit", () => {
    for (const p of live) p.killAndRemoveSync();
  });
}

export class PrivatePostgres {
  private proc: ChildProcess | null = null;
  private readonly asRoot = process.getuid?.() === 0;
  private readonly setpriv = onPath("setpriv");

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  /** initdb a new cluster and start it; `url` then points at its `postgres` database. */
  static async start(): Promise<PrivatePostgres> {
    const bin = pgBinDir();
    const port = await freePort();
    sweepStaleClusters();
    installExitHook();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
    const p = new PrivatePostgres(dir, port, bin);
    live.add(p);
    try {
      fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
      if (p.asRoot) {
        try {
          execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
        } catch {
          throw new Error("running as root, but there is no `postgres` user to run PostgreSQL as (Debian's postgresql package creates it)");
        }
        fs.chmodSync(dir, 0o777);
        execFileSync("chown", ["postgres:postgres", dir]);
      }
      p.run("initdb", ["-D", path.join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
      await p.resume();
    } catch (err) {
      p.killAndRemoveSync();
      throw err;
    }
    return p;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** [program, args] that run `exe` as the cluster's owner; `dieWithParent` ties it to this process's life. */
  private command(exe: string, args: string[], dieWithParent: boolean): [string, string[]] {
    if (this.setpriv) {
      const opts = [
        ...(this.asRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups"] : []),
        // after the uid change, which would clear it
        ...(dieWithParent ? ["--pdeathsig", "KILL"] : []),
      ];
      if (opts.length > 0) return [this.setpriv, [...opts, "--", exe, ...args]];
    }
    if (this.asRoot) return ["runuser", ["-u", "postgres", "--", exe, ...args]];
    return [exe, args];
  }

  private run(tool: string, args: string[]): void {
    const [file, argv] = this.command(path.join(this.bin, tool), args, false);
    execFileSync(file, argv, { stdio: "pipe" });
  }

  /** Start (or restart) the server on the same port and data directory; resolves when it accepts queries. */
  async resume(): Promise<void> {
    const exe = path.join(this.bin, "postgres");
    // fsync off: these clusters are disposable, and the tests measure Tessera, not the disk.
    const args = ["-D", path.join(this.dir, "data"), "-p", String(this.port), "-k", this.dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"];
    // Its own process group, so a kill reaches the postmaster and every backend at once.
    const log = fs.openSync(path.join(this.dir, "server.log"), "a");
    const [file, argv] = this.command(exe, args, true);
    this.proc = spawn(file, argv, { stdio: ["ignore", log, log], detached: true });
    fs.closeSync(log);
    const proc = this.proc;
    await waitFor(
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(`private PostgreSQL exited at start (${proc.exitCode ?? proc.signalCode}); see ${path.join(this.dir, "server.log")}:\n${this.logTail()}`);
        }
        const c = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
        try {
          await c.connect();
          await c.query("select 1");
          return true;
        } catch {
          return false;
        } finally {
          await c.end().catch(() => {});
        }
      },
      START_TIMEOUT_MS,
      "private PostgreSQL to accept connections",
    );
  }

  private logTail(): string {
    try {
      return fs.readFileSync(path.join(this.dir, "server.log"), "utf8").split("\n").slice(-10).join("\n");
    } catch {
      return "";
    }
  }

  /** Stop the server: "fast" disconnects clients and shuts down cleanly; "kill" is SIGKILL. */
  async stop(mode: "fast" | "kill" = "fast"): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    if (mode === "kill") {
      process.kill(-p.pid!, "SIGKILL"); // the whole group: postmaster and backends, no goodbyes
    } else {
      this.run("pg_ctl", ["stop", "-D", path.join(this.dir, "data"), "-m", "fast", "-w"]);
    }
    await exited;
    this.proc = null;
    // Without setpriv, runuser may exit a moment before the postmaster does; a restart needs the old one gone.
    await waitFor(() => runningPostmaster(this.dir) === null, OLD_POSTMASTER_EXIT_TIMEOUT_MS, "the old postmaster to exit");
  }

  /** Create a database in this cluster and return its URL. */
  async createDatabase(name: string): Promise<string> {
    const c = new pg.Client({ connectionString: this.url });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  /** Stop and delete everything. */
  async destroy(): Promise<void> {
    await this.stop("fast");
    removeDir(this.dir);
    live.delete(this);
  }

  /** Last resort for exit paths that cannot wait: SIGKILL the server's process group and delete the directory. */
  killAndRemoveSync(): void {
    const p = this.proc;
    if (p?.pid && p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(-p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    const pm = runningPostmaster(this.dir);
    if (pm) {
      try {
        process.kill(pm, "SIGKILL");
      } catch {
        // already gone
      }
    }
    try {
      removeDir(this.dir);
    } catch {
      // a backend still writing: the next start's sweep removes what is left
    }
    live.delete(this);
  }
}
