// A private production server for one spec: test/processes.ts's ReplicaProcess (the real
// `node --import tsx server/index.ts`, page + API + /ws, NODE_ENV=production, needs `npm run build`;
// restarts keep the port) with an embedded PGlite in its own temp DATA_DIR, no Redis unless `env`
// says otherwise, and generous per-IP limits (every test client is 127.0.0.1).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ReplicaProcess } from "../test/processes";

/** Limits that never get in a test's way (one IP opens many sessions and sockets). */
const GENEROUS_LIMITS: Record<string, string> = {
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
  private constructor(
    private readonly replica: ReplicaProcess,
    readonly dataDir: string,
  ) {}

  static async start(opts: ServerOptions = {}): Promise<TesseraServer> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-e2e-own-"));
    const replica = await ReplicaProcess.start({
      instanceId: opts.instanceId ?? `e2e-own-${process.pid}`,
      apiOnly: false,
      // Embedded PGlite in dataDir and no Redis, unless the spec passes its own URLs.
      env: { COOLDOWN_MS: "1000", DATABASE_URL: "", REDIS_URL: "", ...GENEROUS_LIMITS, ...opts.env, DATA_DIR: dataDir },
    });
    return new TesseraServer(replica, dataDir);
  }

  get url(): string {
    return this.replica.url;
  }

  /** The environment of the next start(); change it between stop() and start() to reconfigure. */
  get env(): Record<string, string> {
    return this.replica.env;
  }

  set env(env: Record<string, string>) {
    this.replica.env = { ...env, DATA_DIR: this.dataDir };
  }

  /** Start again on the same port and data directory; resolves once /api/health answers 200. */
  start(): Promise<void> {
    return this.replica.start();
  }

  /** Stop with a signal (SIGTERM: graceful, clients get 1001) and wait for the exit. */
  stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    return this.replica.stop(signal);
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
