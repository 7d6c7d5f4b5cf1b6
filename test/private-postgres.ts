// A private, throw-away PostgreSQL cluster (initdb + postgres in a temp dir on a free port) that
// tests and benchmarks can stop, kill and restart without touching the machine's shared server.
// PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` system user.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "./processes";
import { waitFor } from "./wait";

function pgBinDir(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return fromEnv;
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const dir = path.join(root, v, "bin");
    if (fs.existsSync(path.join(dir, "initdb"))) return dir;
  }
  throw new Error("PostgreSQL server binaries not found (set PG_BIN, or apt-get install postgresql)");
}

export class PrivatePostgres {
  private proc: ChildProcess | null = null;
  private readonly bin = pgBinDir();
  private readonly asRoot = process.getuid?.() === 0;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** initdb a new cluster and start it; `url` then points at its `postgres` database. */
  static async start(): Promise<PrivatePostgres> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-pg-"));
    const p = new PrivatePostgres(dir, await freePort());
    if (p.asRoot) {
      fs.chmodSync(dir, 0o777);
      execFileSync("chown", ["postgres:postgres", dir]);
    }
    p.run("initdb", ["-D", path.join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    await p.resume();
    return p;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]): void {
    const exe = path.join(this.bin, tool);
    if (this.asRoot) execFileSync("runuser", ["-u", "postgres", "--", exe, ...args], { stdio: "pipe" });
    else execFileSync(exe, args, { stdio: "pipe" });
  }

  /** Start (or restart) the server on the same port and data directory; resolves when it accepts queries. */
  async resume(): Promise<void> {
    const exe = path.join(this.bin, "postgres");
    // fsync off: these clusters are disposable, and the tests measure Tessera, not the disk.
    const args = ["-D", path.join(this.dir, "data"), "-p", String(this.port), "-k", this.dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"];
    // Its own process group, so a kill reaches the postmaster and every backend at once.
    const log = fs.openSync(path.join(this.dir, "server.log"), "a");
    const opts = { stdio: ["ignore", log, log] as ["ignore", number, number], detached: true };
    this.proc = this.asRoot ? spawn("runuser", ["-u", "postgres", "--", exe, ...args], opts) : spawn(exe, args, opts);
    fs.closeSync(log);
    await waitFor(
      async () => {
        const c = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1_000 });
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
      30_000,
      "private PostgreSQL to accept connections",
    );
  }

  /** Stop the server: "fast" disconnects clients and shuts down cleanly; "kill" is SIGKILL. */
  async stop(mode: "fast" | "kill" = "fast"): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    if (mode === "kill") {
      process.kill(-p.pid!, "SIGKILL"); // the whole group: postmaster and backends, no goodbyes
    } else {
      this.run("pg_ctl", ["stop", "-D", path.join(this.dir, "data"), "-m", "fast", "-w"]);
    }
    await exited;
    this.proc = null;
    // runuser may exit a moment before the postmaster does; a restart needs the old one gone.
    const pidFile = path.join(this.dir, "data", "postmaster.pid");
    await waitFor(() => {
      try {
        const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
        process.kill(pid, 0);
        return false;
      } catch {
        return true; // no pid file, or its process is gone
      }
    }, 10_000, "the old postmaster to exit");
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
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
