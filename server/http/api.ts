// The HTTP canvas API (SPEC §3), served by the custom server before Next sees the request.
// Every error is `{"error":{"code","message"}}`; JSON bodies are size-limited and validated.

import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { FANOUT_TICK_MS, MAX_HTTP_BODY_BYTES } from "../../lib/limits";
import { PALETTE } from "../../lib/palette";
import { cleanName, type HttpErrorBody, type RedisStatus } from "../../lib/protocol";
import type { CanvasService } from "../canvas/canvas-service";
import type { Config } from "../config";
import type { Gateway } from "../realtime/gateway";
import type { Logger } from "../logger";
import type { PixelHub } from "../realtime/pixel-hub";
import { encodeIndexedPng } from "../canvas/png";
import { PerMinuteLimit } from "../realtime/rate-limit";
import type { Sessions } from "../sessions";
import type { Storage } from "../canvas/storage";

const gzip = promisify(zlib.gzip);
/** The health check gives the database this long to answer. */
const HEALTH_DB_TIMEOUT_MS = 2_000;

export interface ApiDeps {
  config: Config;
  storage: Storage;
  sessions: Sessions;
  service: CanvasService;
  hub: PixelHub;
  gateway: Gateway;
  log: Logger;
  redisStatus: () => RedisStatus;
  instances: () => Array<{ id: string; users: number; connections: number }>;
  pubsubStats: () => { published: number; received: number; failed: number; lastPublishAt: number | null; lastReceiveAt: number | null };
  clientIp: (req: IncomingMessage) => string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}

/** One board state's body: the bytes, their gzip, and the seq they include. */
interface BoardBody {
  key: string;
  seq: number;
  raw: Buffer;
  gz: Buffer;
  /** performance.now() when the bytes were copied from the board. */
  at: number;
}

/**
 * gzip level of the board body. Level 1 compresses a busy 1000×1000 board about 4× faster than the
 * default 6 (≈ 7 ms against ≈ 34 ms here) for about 20 % more bytes; under constant placements the
 * body is rebuilt often, so the CPU matters more than the bytes.
 */
const BOARD_GZIP_LEVEL = 1;
/** An older body is only ever served if it is at most this many seqs behind the board. */
const BOARD_STALE_MAX_RECORDS = 10_000;
/**
 * A body counts as current for this long after it was built (one fan-out tick: live updates are
 * that far behind too). Within it a request gets the body at once and a newer one is built behind it.
 */
const BOARD_BODY_FRESH_MS = FANOUT_TICK_MS;

export class HttpApi {
  /** The last complete body; its bytes and seq always belong together. */
  private boardReady: BoardBody | null = null;
  /** The body being compressed now, if any. */
  private boardBuilding: Promise<BoardBody> | null = null;
  /** Requests were answered with an older body while the current build ran: build again after it. */
  private boardWanted = false;
  private readonly sessionLimit: PerMinuteLimit;

  constructor(private readonly d: ApiDeps) {
    this.sessionLimit = new PerMinuteLimit(d.config.sessionsPerIpPerMin);
  }

  /** Handle the request if it is ours (/api/*); returns false to let Next serve it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith("/api/") && url.pathname !== "/api") return false;
    this.route(req, res, url).catch((err: unknown) => {
      if (err instanceof HttpError) {
        sendError(res, err.status, err.code, err.message, err.extra);
      } else {
        this.d.log.error({ err: (err as Error).message, path: url.pathname }, "request failed");
        sendError(res, 500, "internal", "internal server error");
      }
    });
    return true;
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const m = req.method ?? "GET";
    const on = (method: string) => {
      if (m === method || (method === "GET" && m === "HEAD")) return true;
      return false;
    };
    switch (url.pathname) {
      case "/api/session":
        if (on("POST")) return this.createSession(req, res);
        if (on("GET")) return this.getSession(req, res);
        break;
      case "/api/canvas/info":
        if (on("GET")) return this.info(res);
        break;
      case "/api/canvas":
        if (on("GET")) return this.canvas(req, res);
        break;
      case "/api/canvas.png":
        if (on("GET")) return this.png(res);
        break;
      case "/api/pixel":
        if (on("PUT")) return this.putPixel(req, res);
        if (on("GET")) return this.getPixel(res, url);
        break;
      case "/api/health":
        if (on("GET")) return this.health(res);
        break;
      case "/api/stats":
        if (on("GET")) return this.stats(res);
        break;
      default:
        throw new HttpError(404, "not_found", `no such endpoint: ${url.pathname}`);
    }
    throw new HttpError(405, "method_not_allowed", `${m} is not allowed on ${url.pathname}`);
  }

  private async createSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const name = cleanName(body.name);
    if (name === null) {
      throw new HttpError(400, "invalid_name", "name must be 1-24 characters: letters, digits, space, '_' or '-'");
    }
    if (!this.sessionLimit.hit(this.d.clientIp(req), Date.now())) {
      throw new HttpError(429, "rate_limited", "too many sessions created from this address; try again in a minute", { retryAfterMs: 60_000 });
    }
    const user = await this.withDb(() => this.d.storage.createUser(name));
    const pub = { id: user.id, name: user.name };
    this.d.sessions.remember(pub);
    const secure = isHttps(req, this.d.config.trustProxy);
    sendJson(res, 200, { user: pub }, { "Set-Cookie": this.d.sessions.cookieHeader(user.id, secure) });
  }

  private async getSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const user = await this.withDb(() => this.d.sessions.userOf(req));
    if (!user) throw new HttpError(401, "no_session", "no valid session: POST /api/session with a name first");
    sendJson(res, 200, { user });
  }

  private info(res: ServerResponse): void {
    const { config, hub } = this.d;
    sendJson(res, 200, {
      width: config.width,
      height: config.height,
      palette: PALETTE,
      cooldownMs: config.cooldownMs,
      seq: hub.board.seq,
    });
  }

  /**
   * The board body to serve: one copy and one gzip per board state, shared by every request for it.
   * Under constant placements the state changes every tick, and compressing takes milliseconds, so
   * a request gets the last complete body at once — its X-Canvas-Seq matches its bytes, and the
   * client replays the rest over the WebSocket — when that body is less than a tick old or a newer
   * one is being compressed; a newer one is then built behind it. Otherwise (a board that changed
   * after a quiet spell) the request waits for a fresh body, so a quiet board is served exactly.
   */
  private boardBody(): BoardBody | Promise<BoardBody> {
    const board = this.d.hub.board;
    const key = `${board.seq}-${board.maxSeq}`;
    const ready = this.boardReady;
    if (ready?.key === key) return ready;
    const usable = ready !== null && board.seq - ready.seq <= BOARD_STALE_MAX_RECORDS;
    if (this.boardBuilding) {
      if (!usable) return this.boardBuilding;
      this.boardWanted = true;
      return ready;
    }
    if (usable && performance.now() - ready.at < BOARD_BODY_FRESH_MS) {
      this.buildBoardBody().catch(() => {}); // a failure shows on the next request that waits for one
      return ready;
    }
    return this.buildBoardBody();
  }

  private buildBoardBody(): Promise<BoardBody> {
    const board = this.d.hub.board;
    const key = `${board.seq}-${board.maxSeq}`;
    const seq = board.seq;
    const at = performance.now();
    const raw = Buffer.from(board.pixels);
    this.boardWanted = false;
    const building = gzip(raw, { level: BOARD_GZIP_LEVEL }).then(
      (gz) => {
        const body = { key, seq, raw, gz, at };
        this.boardReady = body;
        this.boardBuilding = null;
        if (this.boardWanted) this.buildBoardBody().catch(() => {});
        return body;
      },
      (err: unknown) => {
        this.boardBuilding = null;
        throw err;
      },
    );
    this.boardBuilding = building;
    return building;
  }

  private async canvas(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { config } = this.d;
    const body = await this.boardBody();
    const etag = `"${config.width}x${config.height}-${body.key}"`;
    const headers: Record<string, string> = {
      "Content-Type": "application/octet-stream",
      "X-Canvas-Width": String(config.width),
      "X-Canvas-Height": String(config.height),
      "X-Canvas-Seq": String(body.seq),
      "Cache-Control": "no-cache",
      ETag: etag,
      Vary: "Accept-Encoding",
    };
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    let bytes = body.raw;
    if (acceptsGzip(req.headers["accept-encoding"])) {
      bytes = body.gz;
      headers["Content-Encoding"] = "gzip";
    }
    headers["Content-Length"] = String(bytes.length);
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : bytes);
  }

  private png(res: ServerResponse): void {
    const { config, hub } = this.d;
    const png = encodeIndexedPng(config.width, config.height, hub.board.pixels, PALETTE);
    res.writeHead(200, {
      "Content-Type": "image/png",
      "Content-Length": String(png.length),
      "Content-Disposition": `inline; filename="tessera-${hub.board.seq}.png"`,
      "Cache-Control": "no-cache",
      "X-Canvas-Seq": String(hub.board.seq),
    });
    res.end(png);
  }

  private async putPixel(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const user = await this.withDb(() => this.d.sessions.userOf(req));
    if (!user) throw new HttpError(401, "no_session", "no valid session: POST /api/session with a name first");
    const r = await this.d.service.place(user, body.x, body.y, body.color);
    if (r.ok) {
      sendJson(res, 200, { seq: r.seq, x: r.x, y: r.y, color: r.color, cooldownUntil: r.cooldownUntil });
      return;
    }
    const status = r.code === "invalid_pixel" ? 400 : r.code === "unavailable" ? 503 : 429;
    const headers: Record<string, string> = {};
    if (r.retryAfterMs !== undefined) headers["Retry-After"] = String(Math.max(1, Math.ceil(r.retryAfterMs / 1000)));
    sendError(res, status, r.code, r.message, r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}, headers);
  }

  private async getPixel(res: ServerResponse, url: URL): Promise<void> {
    const { config } = this.d;
    const x = parseIndex(url.searchParams.get("x"), config.width);
    const y = parseIndex(url.searchParams.get("y"), config.height);
    if (x === null || y === null) {
      throw new HttpError(400, "invalid_pixel", `x must be 0-${config.width - 1} and y 0-${config.height - 1} (integers)`);
    }
    const info = await this.withDb(() => this.d.storage.pixelInfo(x, y));
    if (!info) throw new HttpError(404, "not_placed", `nobody has placed a pixel at (${x}, ${y}) yet`);
    sendJson(res, 200, { ...info, placedAt: new Date(info.placedAt).toISOString() });
  }

  private async health(res: ServerResponse): Promise<void> {
    const { config, gateway } = this.d;
    let db: "up" | "down" = "up";
    try {
      await withTimeout(this.d.storage.ping(), HEALTH_DB_TIMEOUT_MS);
    } catch {
      db = "down";
    }
    const redis = this.d.redisStatus();
    const status = db === "down" || redis === "down" ? "degraded" : "ok";
    sendJson(res, db === "up" ? 200 : 503, {
      status,
      instanceId: config.instanceId,
      redis,
      db,
      connections: gateway.connectionCount,
    });
  }

  private stats(res: ServerResponse): void {
    const { gateway } = this.d;
    const view = gateway.presenceView();
    sendJson(res, 200, {
      activeUsers: view.activeUsers,
      connections: view.connections,
      users: view.users,
      scope: view.scope,
      instances: this.d.instances(),
      pubsub: this.d.pubsubStats(),
    });
  }

  /** Run a database call; failures of the database become 503 `unavailable`. */
  private async withDb<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof HttpError) throw err;
      this.d.log.warn({ err: (err as Error).message }, "database call failed");
      throw new HttpError(503, "unavailable", "the database is unavailable; try again shortly");
    }
  }
}

// ------------------------------------------------------------------ helpers

/** Read a JSON object body of at most MAX_HTTP_BODY_BYTES; 413 when larger, 400 when not an object. */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_HTTP_BODY_BYTES) {
    req.resume();
    throw new HttpError(413, "body_too_large", `request bodies are limited to ${MAX_HTTP_BODY_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_HTTP_BODY_BYTES) {
      req.resume();
      throw new HttpError(413, "body_too_large", `request bodies are limited to ${MAX_HTTP_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "invalid_json", "request body must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, "invalid_json", "request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function parseIndex(raw: string | null, size: number): number | null {
  if (raw === null || !/^\d{1,5}$/.test(raw)) return null;
  const n = Number(raw);
  return n < size ? n : null;
}

function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(",") : (header ?? "");
  return value.split(",").some((part) => {
    const [coding, ...params] = part.trim().split(";");
    if (coding.trim().toLowerCase() !== "gzip") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return !q || Number(q.slice(2)) > 0;
  });
}

function isHttps(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  return trustProxy && String(req.headers["x-forwarded-proto"] ?? "").split(",")[0].trim() === "https";
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: { retryAfterMs?: number } = {},
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // retryAfterMs sits in the error and at the top level, where simple clients look first.
  const body: HttpErrorBody & { retryAfterMs?: number } = { error: { code, message, ...extra }, ...extra };
  sendJson(res, status, body, headers);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
