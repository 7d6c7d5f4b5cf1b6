// Test harness: real servers on port 0, fresh databases, WebSocket clients that wait on conditions.
// Nothing here sleeps for a fixed time: every wait polls a condition until a deadline.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { decodePixelsToArray, type PixelRecord, type ServerMessage } from "../lib/protocol";
import { type Running, type StartOptions, startTessera } from "../server/app";
import { loadConfig } from "../server/config";
import { freshPgDatabase } from "./pg";
import { waitFor } from "./wait";
import { createLogger } from "../server/logger";

export { freshPgDatabase, waitFor };

export function tempDir(prefix = "tessera-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestServerOptions extends Omit<StartOptions, "log" | "next" | "dev"> {
  env?: Record<string, string>;
  dataDir?: string;
}

/** Start a replica (no Next) on port 0 with its own data dir unless one is given. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<Running & { dataDir: string }> {
  const dataDir = opts.dataDir ?? tempDir();
  const env = {
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    COOLDOWN_MS: "0",
    PLACEMENTS_PER_CONNECTION_PER_S: "0",
    MAX_CONNECTIONS_PER_IP: "1000",
    SESSIONS_PER_IP_PER_MIN: "100000",
    ...opts.env,
  };
  const config = loadConfig(env);
  const { env: _env, dataDir: _dir, ...start } = opts;
  const running = await startTessera(config, {
    ...start,
    log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent", config.instanceId),
  });
  return Object.assign(running, { dataDir });
}

/** Create a session; returns the user and the Cookie header value. */
export async function newSession(base: string, name = "tester"): Promise<{ user: { id: string; name: string }; cookie: string }> {
  const res = await fetch(`${base}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 200) throw new Error(`session failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get("set-cookie")!.split(";")[0];
  const body = (await res.json()) as { user: { id: string; name: string } };
  return { user: body.user, cookie };
}

/** A protocol-level client: records every frame, decodes PIXELS, waits on conditions. */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly records: PixelRecord[] = [];
  readonly seqs = new Set<number>();
  closeCode: number | null = null;
  /** "binary" or the type of the first text frame: the protocol says it is always "welcome". */
  firstFrame: string | null = null;
  private refCounter = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      this.firstFrame ??= isBinary ? "binary" : (JSON.parse(data.toString()) as ServerMessage).type;
      if (isBinary) {
        const recs = decodePixelsToArray(new Uint8Array(data as Buffer));
        if (!recs) throw new Error("server sent a malformed PIXELS frame");
        for (const r of recs) {
          this.records.push(r);
          this.seqs.add(r.seq);
        }
      } else {
        this.messages.push(JSON.parse(data.toString()));
      }
    });
    ws.on("close", (code) => (this.closeCode = code));
  }

  /** Connect (to board `main` unless `board` is given) and wait for the welcome. */
  static async connect(base: string, cookie: string | null, headers: Record<string, string> = {}, board?: string): Promise<TestClient> {
    const query = board === undefined ? "" : `?board=${encodeURIComponent(board)}`;
    const ws = new WebSocket(base.replace(/^http/, "ws") + "/ws" + query, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once("error", reject);
    });
    await client.next("welcome");
    return client;
  }

  get welcome(): Extract<ServerMessage, { type: "welcome" }> {
    return this.messages.find((m) => m.type === "welcome") as Extract<ServerMessage, { type: "welcome" }>;
  }

  send(obj: unknown): void {
    this.ws.send(typeof obj === "string" ? obj : JSON.stringify(obj));
  }

  /** Wait for the first message of a type (optionally matching) that arrived after index `from`. */
  async next<T extends ServerMessage["type"]>(
    type: T,
    match: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true,
    from = 0,
    timeoutMs = 5_000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    return waitFor(
      () => this.messages.slice(from).find((m) => m.type === type && match(m as Extract<ServerMessage, { type: T }>)) as Extract<ServerMessage, { type: T }> | undefined,
      timeoutMs,
      `a '${type}' message`,
    );
  }

  /** Place and wait for the matching ack or reject. */
  async place(x: unknown, y: unknown, color: unknown): Promise<Extract<ServerMessage, { type: "ack" | "reject" }>> {
    const ref = `r${++this.refCounter}`;
    const from = this.messages.length;
    this.send({ type: "place", x, y, color, ref });
    return waitFor(
      () => this.messages.slice(from).find((m) => (m.type === "ack" || m.type === "reject") && m.ref === ref) as Extract<ServerMessage, { type: "ack" | "reject" }> | undefined,
      10_000,
      `ack/reject of ${ref}`,
    );
  }

  async waitForSeqs(seqs: Iterable<number>, timeoutMs = 5_000): Promise<void> {
    const want = [...seqs];
    await waitFor(() => want.every((s) => this.seqs.has(s)), timeoutMs, `seqs ${want.slice(0, 5).join(",")}…`);
  }

  async waitClosed(timeoutMs = 5_000): Promise<number> {
    return waitFor(() => this.closeCode, timeoutMs, "close");
  }

  close(): void {
    this.ws.close();
  }
}

/** GET /api/canvas (or a board's canvas) as raw bytes with its seq. */
export async function fetchBoard(base: string, board?: string): Promise<{ bytes: Uint8Array; seq: number }> {
  const res = await fetch(board === undefined ? `${base}/api/canvas` : `${base}/api/boards/${board}/canvas`);
  return { bytes: new Uint8Array(await res.arrayBuffer()), seq: Number(res.headers.get("x-canvas-seq")) };
}

/** POST /api/boards as a signed-in user; returns the response status and body. */
export async function createBoard(base: string, cookie: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/boards`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}
