// Real processes for cluster tests: redis-server on a free port (killable and restartable on the
// same port) and Tessera replicas started as `node server/index.ts --api-only`.

import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
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
export async function redisCommand(port: number, command: string, password?: string): Promise<string | null> {
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
    this.proc = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...this.extraArgs], {
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

  async stop(): Promise<void> {
    await this.kill();
  }
}

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
    await waitFor(
      async () => {
        if (p.exitCode !== null) throw new Error(`replica ${this.instanceId} exited: ${this.output.join("")}`);
        try {
          return (await fetch(`${this.url}/api/health`)).status === 200;
        } catch {
          return false;
        }
      },
      30_000,
      `replica ${this.instanceId} to serve`,
    );
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

/** GET /api/health of a replica, or null while it does not answer. */
export async function health(url: string): Promise<{ status: string; redis: string; db: string; instanceId: string } | null> {
  try {
    return await (await fetch(`${url}/api/health`)).json();
  } catch {
    return null;
  }
}
