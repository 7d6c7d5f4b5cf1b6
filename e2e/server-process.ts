// A private production server for one spec: the real `node --import tsx server/index.ts` (page +
// API + /ws, NODE_ENV=production, needs `npm run build`), embedded PGlite in a temp DATA_DIR and no
// Redis unless `env` says otherwise, generous per-IP limits (every test client is 127.0.0.1). Unlike test/processes.ts's
// ReplicaProcess it keeps its port across restart(), so open pages reconnect to the same address.

import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/processes";
import { waitFor } from "../test/wait";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Limits that never get in a test's way (one IP opens many sessions and sockets). */
export const GENEROUS_LIMITS: Record<string, string> = {
  SESSIONS_PER_IP_PER_MIN: "100000",
  MAX_CONNECTIONS_PER_IP: "10000",
  PLACEMENTS_PER_CONNECTION_PER_S: "0",
};

export interface ServerOptions {
  /** Extra environment (CANVAS_WIDTH, COOLDOWN_MS, …); wins over the defaults. */
  env?: Record<string, string>;
  instanceId?: string;
}

export class TesseraServer {
  private proc: ChildProcess | null = null;
  private exited: Promise<number | null> | null = null;
  readonly output: string[] = [];

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    /** The environment of the next start(); change it between stop() and start() to reconfigure. */
    public env: Record<string, string>,
    readonly instanceId: string,
  ) {}

  static async start(opts: ServerOptions = {}): Promise<TesseraServer> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-e2e-own-"));
    const s = new TesseraServer(await freePort(), dataDir, opts.env ?? {}, opts.instanceId ?? `e2e-own-${process.pid}`);
    await s.start();
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null;
  }

  /** Start (again) on the same port and data directory; resolves once /api/health answers 200. */
  async start(): Promise<void> {
    if (this.running) return;
    const proc = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server/index.ts")], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
        COOLDOWN_MS: "1000",
        // Embedded PGlite in dataDir and no Redis, unless the spec passes its own URLs.
        DATABASE_URL: "",
        REDIS_URL: "",
        ...GENEROUS_LIMITS,
        ...this.env,
        DATA_DIR: this.dataDir,
        PORT: String(this.port),
        HOST: "127.0.0.1",
        INSTANCE_ID: this.instanceId,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once("exit", (code) => resolve(code)));
    proc.stdout!.on("data", (d) => this.output.push(d.toString()));
    proc.stderr!.on("data", (d) => this.output.push(d.toString()));
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}: ${this.output.join("")}`);
        try {
          return (await fetch(`${this.url}/api/health`)).status === 200;
        } catch {
          return false;
        }
      },
      30_000,
      "the e2e server to serve /api/health",
    );
  }

  /** Stop with a signal (SIGTERM: graceful, clients get 1001) and wait for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const p = this.proc;
    if (!p || !this.exited) return null;
    if (p.exitCode === null) p.kill(signal);
    const code = await this.exited;
    this.proc = null;
    this.exited = null;
    return code;
  }

  /** Stop and start again on the same port with the same database. */
  async restart(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.stop(signal);
    await this.start();
  }

  /** Stop and remove the data directory. */
  async dispose(): Promise<void> {
    await this.stop("SIGTERM");
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A session cookie for `name` on `baseUrl`, for placing pixels over HTTP from the test process. */
export async function apiSession(baseUrl: string, name: string): Promise<{ cookie: string; user: { id: string; name: string } }> {
  const res = await fetch(`${baseUrl}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 200) throw new Error(`POST /api/session: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0];
  const body = (await res.json()) as { user: { id: string; name: string } };
  return { cookie, user: body.user };
}

/** PUT /api/pixel as the session `cookie`; returns the status and body. */
export async function putPixel(
  baseUrl: string,
  cookie: string,
  x: number,
  y: number,
  color: number,
): Promise<{ status: number; body: { seq?: number; error?: { code: string } } }> {
  const res = await fetch(`${baseUrl}/api/pixel`, {
    method: "PUT",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ x, y, color }),
  });
  return { status: res.status, body: (await res.json()) as { seq?: number; error?: { code: string } } };
}

/** GET /api/canvas as raw bytes with its seq. */
export async function fetchCanvas(baseUrl: string): Promise<{ bytes: Uint8Array; seq: number; width: number; height: number }> {
  const res = await fetch(`${baseUrl}/api/canvas`);
  if (res.status !== 200) throw new Error(`GET /api/canvas: ${res.status}`);
  return {
    bytes: new Uint8Array(await res.arrayBuffer()),
    seq: Number(res.headers.get("x-canvas-seq")),
    width: Number(res.headers.get("x-canvas-width")),
    height: Number(res.headers.get("x-canvas-height")),
  };
}
