// One board's canvas API (SPEC §3, §9, §13): info, the board bytes (now or at any seq), its PNG,
// pixels (read, place, history) and pages of placements. Every route exists under
// /api/boards/{id}/… and, for board `main`, under the revision-1 paths (/api/canvas, /api/pixel…).

import { promisify } from "node:util";
import zlib from "node:zlib";
import { BOARD_BODY_GZIP_LEVEL, IP_BUDGET_CONNECTIONS, PIXEL_HISTORY_MAX_LIMIT, PLACEMENT_BURST_SECONDS, PLACEMENTS_PAGE_MAX_LIMIT, PNG_MAX_SCALE } from "../../../lib/limits";
import { PALETTE } from "../../../lib/palette";
import { boardAtSeq, HistoryRangeError, placementsPage, placementsPixels } from "../../canvas/history";
import type { BoardRow } from "../../canvas/store";
import type { Room } from "../../realtime/room";
import { KeyedBuckets } from "../../realtime/rate-limit";
import type { ApiDeps } from "../deps";
import { requireBoard, requireUser, sameSite, withDb } from "../guards";
import { acceptsGzip, HttpError, intParam, readJson, sendError, sendJson } from "../respond";
import type { ApiRouter, Ctx } from "../router";

const gzip = promisify(zlib.gzip);

/** Both spellings of a per-board path: `/api/boards/:id{suffix}` and, for main, `/api{v1}`. */
function paths(suffix: string, v1: string | null): string[] {
  return v1 ? [`/api/boards/:id${suffix}`, `/api${v1}`] : [`/api/boards/:id${suffix}`];
}

export function canvasRoutes(r: ApiRouter, d: ApiDeps): void {
  const perS = d.config.placementsPerConnectionPerS;
  // The live board's bodies: revalidated by browsers every time, kept briefly by a shared cache
  // (a CDN in front of the replicas) when CANVAS_CACHE_SECONDS allows it.
  const liveCache = d.config.canvasCacheSeconds > 0 ? `public, max-age=0, s-maxage=${d.config.canvasCacheSeconds}` : "no-cache";
  // PUT /api/pixel: a user placing over HTTP gets the budget of one connection, and its IP the
  // budget of IP_BUDGET_CONNECTIONS connections — the same numbers the WebSocket uses.
  const perUser = new KeyedBuckets(perS, Math.max(1, perS * PLACEMENT_BURST_SECONDS));
  const perIp = new KeyedBuckets(perS * IP_BUDGET_CONNECTIONS, Math.max(1, perS * IP_BUDGET_CONNECTIONS * PLACEMENT_BURST_SECONDS));

  /** The board for this read: the room held here, or a copy read from the database if nobody follows it here. */
  const roomOf = async (row: BoardRow): Promise<Room> => {
    const room = await withDb(d, () => d.rooms.forRead(row.id));
    if (!room) throw new HttpError(404, "no_board", `there is no board '${row.id}'`);
    return room;
  };

  r.on("GET", paths("/canvas/info", "/canvas/info"), async (ctx) => {
    const row = await requireBoard(d, ctx);
    const room = await roomOf(row);
    sendJson(ctx.res, 200, { width: row.width, height: row.height, palette: PALETTE, cooldownMs: row.cooldownMs, seq: room.seq });
  });

  r.on("GET", paths("/canvas", "/canvas"), async (ctx) => {
    const row = await requireBoard(d, ctx);
    const seqParam = ctx.url.searchParams.get("seq");
    if (seqParam !== null) return boardAt(ctx, row, seqParam);
    const room = await roomOf(row);
    const body = await d.bodies.body(room);
    const etag = `"${row.id}-${row.width}x${row.height}-${body.key}"`;
    sendBoard(ctx, row, body.seq, etag, body.raw, body.gz, liveCache);
  });

  /** The board after seq N (SPEC §13): immutable, so cacheable for good. */
  const boardAt = async (ctx: Ctx, row: BoardRow, seqParam: string) => {
    if (!/^\d{1,16}$/.test(seqParam)) throw new HttpError(400, "invalid_seq", "seq must be a non-negative integer");
    const at = await withDb(d, async () => {
      try {
        return await boardAtSeq(d.storage, row.id, Number(seqParam));
      } catch (err) {
        if (err instanceof HistoryRangeError) throw new HttpError(400, "invalid_seq", err.message);
        throw err;
      }
    });
    const raw = Buffer.from(at.pixels.buffer, at.pixels.byteOffset, at.pixels.byteLength);
    // Compressed off the event loop when the client takes gzip (a 1000×1000 board is 1 MB raw).
    const gz = acceptsGzip(ctx.req.headers["accept-encoding"]) ? await gzip(raw, { level: BOARD_BODY_GZIP_LEVEL }) : null;
    sendBoard(ctx, row, at.seq, `"${row.id}-${row.width}x${row.height}-at-${at.seq}"`, raw, gz, "public, max-age=31536000, immutable");
  };

  r.on("GET", paths("/canvas.png", "/canvas.png"), async (ctx) => {
    const row = await requireBoard(d, ctx);
    const scale = intParam(ctx.url, "scale", 1, PNG_MAX_SCALE, "invalid_scale");
    if (scale < 1) throw new HttpError(400, "invalid_scale", `scale must be an integer from 1 to ${PNG_MAX_SCALE}`);
    const room = await roomOf(row);
    const body = await d.bodies.png(room, scale);
    const etag = `"${row.id}-png-${scale}-${body.key}"`;
    const headers: Record<string, string> = {
      "Content-Type": "image/png",
      "Content-Disposition": `inline; filename="tessera-${row.id}-${body.seq}${scale > 1 ? `@${scale}x` : ""}.png"`,
      "Cache-Control": liveCache,
      "X-Canvas-Seq": String(body.seq),
      ETag: etag,
    };
    if (ctx.req.headers["if-none-match"] === etag) {
      ctx.res.writeHead(304, headers);
      ctx.res.end();
      return;
    }
    headers["Content-Length"] = String(body.png.length);
    ctx.res.writeHead(200, headers);
    ctx.res.end(ctx.req.method === "HEAD" ? undefined : body.png);
  });

  r.on("GET", paths("/pixel", "/pixel"), async (ctx) => {
    const row = await requireBoard(d, ctx);
    const { x, y } = pixelQuery(ctx, row);
    const info = await withDb(d, () => d.storage.pixelInfo(row.id, x, y));
    // `optional=1`: an untouched pixel is an expected answer (the page asking about any pixel), not an error.
    if (!info && ctx.url.searchParams.get("optional") === "1") return sendJson(ctx.res, 200, { x, y, color: 0, seq: null, user: null, placedAt: null });
    if (!info) throw new HttpError(404, "not_placed", `nobody has placed a pixel at (${x}, ${y}) yet`);
    sendJson(ctx.res, 200, { ...info, placedAt: new Date(info.placedAt).toISOString() });
  });

  /** The last placements at a pixel, newest first (the pixel info panel); an untouched pixel has none. */
  r.on("GET", paths("/pixel/history", "/pixel/history"), async (ctx) => {
    const row = await requireBoard(d, ctx);
    const { x, y } = pixelQuery(ctx, row);
    const limit = Math.max(1, intParam(ctx.url, "limit", 10, PIXEL_HISTORY_MAX_LIMIT));
    const list = await withDb(d, () => d.storage.pixelHistory(row.id, x, y, limit));
    sendJson(ctx.res, 200, { x, y, placements: list.map((p) => ({ ...p, placedAt: new Date(p.placedAt).toISOString() })) });
  });

  r.on("PUT", paths("/pixel", "/pixel"), async (ctx) => {
    sameSite(d, ctx);
    const body = await readJson(ctx.req);
    const row = await requireBoard(d, ctx);
    const user = await requireUser(d, ctx);
    const now = performance.now();
    if (!perUser.take(user.id, now) || !perIp.take(d.clientIp(ctx.req), now)) {
      d.service.countRejection("rate_limited");
      throw new HttpError(429, "rate_limited", "too many placements from this address: slow down", { retryAfterMs: 1_000 }, { "Retry-After": "1" });
    }
    if (d.isBanned(user.id)) {
      d.service.countRejection("banned");
      throw new HttpError(403, "banned", "you are banned from placing pixels");
    }
    const res = await d.service.place(row.id, user, body.x, body.y, body.color);
    if (res.ok) {
      sendJson(ctx.res, 200, { seq: res.seq, x: res.x, y: res.y, color: res.color, cooldownUntil: res.cooldownUntil });
      return;
    }
    const status = { invalid_pixel: 400, unavailable: 503, banned: 403, frozen: 409, no_board: 404, cooldown: 429, rate_limited: 429 }[res.code];
    const headers: Record<string, string> = {};
    if (res.retryAfterMs !== undefined) headers["Retry-After"] = String(Math.max(1, Math.ceil(res.retryAfterMs / 1000)));
    sendError(ctx.res, status, res.code, res.message, res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}, headers);
  });

  r.on("GET", paths("/placements", "/placements"), async (ctx) => {
    const row = await requireBoard(d, ctx);
    const after = intParam(ctx.url, "after", 0, Number.MAX_SAFE_INTEGER, "invalid_query");
    const limit = intParam(ctx.url, "limit", 1_000, PLACEMENTS_PAGE_MAX_LIMIT, "invalid_query");
    if (limit < 1) throw new HttpError(400, "invalid_query", `limit must be an integer from 1 to ${PLACEMENTS_PAGE_MAX_LIMIT}`);
    const wantsJson = String(ctx.req.headers.accept ?? "").includes("application/json");
    if (wantsJson) {
      const page = await withDb(d, () => placementsPage(d.storage, row.id, after, limit));
      sendJson(ctx.res, 200, {
        placements: page.placements.map((p) => ({ seq: p.seq, x: p.x, y: p.y, color: p.color, userId: p.userId, placedAt: new Date(p.placedAt).toISOString() })),
        next: page.next,
      });
      return;
    }
    const page = await withDb(d, () => placementsPixels(d.storage, row.id, after, limit));
    const headers: Record<string, string> = {
      "Content-Type": "application/octet-stream",
      "Cache-Control": "no-cache",
      "X-Next-After": page.next === null ? "" : String(page.next),
      Vary: "Accept",
    };
    headers["Content-Length"] = String(page.body.length);
    ctx.res.writeHead(200, headers);
    ctx.res.end(ctx.req.method === "HEAD" ? undefined : page.body);
  });
}

/** x and y of a pixel query, checked against the board; 400 `invalid_pixel` otherwise. */
function pixelQuery(ctx: Ctx, row: BoardRow): { x: number; y: number } {
  const x = index(ctx.url.searchParams.get("x"), row.width);
  const y = index(ctx.url.searchParams.get("y"), row.height);
  if (x === null || y === null) {
    throw new HttpError(400, "invalid_pixel", `x must be 0-${row.width - 1} and y 0-${row.height - 1} (integers)`);
  }
  return { x, y };
}

function index(raw: string | null, size: number): number | null {
  if (raw === null || !/^\d{1,5}$/.test(raw)) return null;
  const n = Number(raw);
  return n < size ? n : null;
}

/** Send board bytes with their headers (SPEC §3), gzip when accepted, 304 on a matching ETag. */
function sendBoard(ctx: Ctx, row: BoardRow, seq: number, etag: string, raw: Buffer, gz: Buffer | null, cache: string): void {
  const headers: Record<string, string> = {
    "Content-Type": "application/octet-stream",
    "X-Canvas-Width": String(row.width),
    "X-Canvas-Height": String(row.height),
    "X-Canvas-Seq": String(seq),
    "Cache-Control": cache,
    ETag: etag,
    Vary: "Accept-Encoding",
  };
  if (ctx.req.headers["if-none-match"] === etag) {
    ctx.res.writeHead(304, headers);
    ctx.res.end();
    return;
  }
  let bytes = raw;
  if (gz && acceptsGzip(ctx.req.headers["accept-encoding"])) {
    bytes = gz;
    headers["Content-Encoding"] = "gzip";
  }
  headers["Content-Length"] = String(bytes.length);
  ctx.res.writeHead(200, headers);
  ctx.res.end(ctx.req.method === "HEAD" ? undefined : bytes);
}
