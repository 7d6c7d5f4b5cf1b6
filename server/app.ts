// Composition of one Tessera replica: every part is built once, here, and handed the parts it
// depends on — storage, boards, rooms, canvas service, presence, cursors, moderation events, the
// gateway, the HTTP API and (optionally) Next — on one HTTP server. Tests start it without Next on
// port 0.

import { randomBytes } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { BoardDirectory } from "./canvas/boards";
import { CanvasService } from "./canvas/canvas-service";
import { RenderPool } from "./canvas/render-pool";
import { Timelapses } from "./canvas/timelapse";
import { loadBoard, SnapshotWriter } from "./canvas/snapshots";
import { keptSessionSecret, openPglite, openPostgres } from "./canvas/storage";
import type { Storage } from "./canvas/store";
import { CursorChannel } from "./cluster/cursor-channel";
import { PixelChannel } from "./cluster/pixel-channel";
import { ClusterPresence } from "./cluster/presence-redis";
import { RedisLink } from "./cluster/redis-link";
import { Signer } from "./cluster/signing";
import type { Config } from "./config";
import { pageSecurityHeaders } from "./csp";
import { createApi } from "./http/api";
import { BoardBodies } from "./http/board-body";
import type { PubSubStats } from "./http/deps";
import { sendError } from "./http/respond";
import { createLogger, type Logger } from "./logger";
import { Metrics } from "./metrics";
import { BanList } from "./moderation/bans";
import { type EventBus, LocalEventBus, RedisEventBus } from "./moderation/events";
import { Moderation } from "./moderation/moderation";
import { clientIpOf, clientSchemeOf } from "./origin";
import { Cursors } from "./realtime/cursors";
import { Gateway } from "./realtime/gateway";
import type { HubOptions } from "./realtime/pixel-hub";
import { LocalPresence, type Presence } from "./realtime/presence";
import { type BoardFollow, Rooms } from "./realtime/rooms";
import { Sessions } from "./sessions";
import { MAIN_BOARD } from "../lib/protocol";

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));


export interface StartOptions {
  /** Serve the page through Next (false in protocol tests). */
  next?: boolean;
  dev?: boolean;
  log?: Logger;
  /** Tests shrink the replay window to exercise `resync`. */
  hub?: HubOptions;
  /** Tests shorten presence timings. */
  presence?: { heartbeatMs?: number; ttlMs?: number };
  /** Tests snapshot more often. */
  snapshotEvery?: number;
  /** Tests drop unfollowed boards sooner. */
  roomLingerMs?: number;
}

export interface Running {
  config: Config;
  server: http.Server;
  port: number;
  url: string;
  storage: Storage;
  boards: BoardDirectory;
  rooms: Rooms;
  service: CanvasService;
  gateway: Gateway;
  presence: Presence;
  link: RedisLink | null;
  events: EventBus;
  bans: BanList;
  snapshots: SnapshotWriter;
  log: Logger;
  close(): Promise<void>;
}

/** Start one replica and resolve once it listens. */
export async function startTessera(config: Config, opts: StartOptions = {}): Promise<Running> {
  const log = opts.log ?? createLogger(config.logLevel, config.instanceId);
  // Before the database opens: a refused kept secret must not leave it open.
  const secret = config.sessionSecret ?? keptSessionSecret(config.dataDir);
  const storage = config.databaseUrl
    ? await openPostgres(config.databaseUrl, (err) => log.warn({ err: err.message }, "idle database connection lost"))
    : await openPglite(config.dataDir);
  const signer = new Signer(secret);
  await storage.syncMainBoard(config.width, config.height, config.cooldownMs);

  // ---- cluster parts (null / local stand-ins without Redis)
  const clustered = config.redisUrl !== null || config.redisSentinels !== null;
  const link = clustered
    ? new RedisLink({
        log,
        url: config.redisUrl ?? undefined,
        sentinels: config.redisSentinels ?? undefined,
        sentinelName: config.redisSentinelName ?? undefined,
        password: config.redisPassword ?? undefined,
        sentinelPassword: config.redisSentinelPassword ?? undefined,
      })
    : null;
  const presence: Presence & { start?: () => void } = link
    ? new ClusterPresence({ link, signer, instanceId: config.instanceId, log, ...opts.presence })
    : new LocalPresence(config.instanceId);
  const events = link ? new RedisEventBus(link, signer, config.instanceId, log) : new LocalEventBus(log);
  const pixels = link ? new PixelChannel(link, signer, config.instanceId, log) : null;
  const cursorChannel = link ? new CursorChannel(link, signer, config.instanceId, log) : null;
  const cursors = new Cursors(cursorChannel);
  const redisStatus = () => (link ? (link.up ? "up" : "down") : "disabled") as "up" | "down" | "disabled";

  // ---- boards in memory
  const boards = new BoardDirectory(storage);
  const snapshots = new SnapshotWriter(storage, {
    every: opts.snapshotEvery,
    onError: (board, err) => log.warn({ board, err: err.message }, "snapshot failed; will retry"),
    onSaved: (board, seq, stored) => stored && log.info({ board, seq }, "snapshot stored"),
  });
  const follows: BoardFollow[] = [
    async (board) => {
      await presence.follow(board.id);
      return () => presence.unfollow(board.id);
    },
  ];
  if (cursorChannel) follows.push((board) => cursorChannel.follow(board, (moves) => cursors.remote(board.id, moves)));
  const rooms = new Rooms({
    storage,
    boards,
    loadBoard: (id, width, height, onTail) => loadBoard(storage, id, width, height, onTail),
    pixels,
    follows,
    snapshots,
    log,
    hub: opts.hub,
    lingerMs: opts.roomLingerMs,
  });

  // ---- placing, sessions, moderation state, sockets
  const service = new CanvasService(storage, boards, rooms, log, (board) => rooms.catchUpNow(board));
  const sessions = new Sessions(secret, storage);
  let gateway: Gateway | null = null;
  const bans = new BanList(storage, log, (userId) => gateway?.closeUser(userId));
  const clientIp = (req: IncomingMessage) => clientIpOf(req, config.trustProxy);
  gateway = new Gateway({ config, sessions, service, rooms, presence, cursors, bans, storage, log, redisStatus, clientIp });
  const gw = gateway;
  events.subscribe((e) => {
    switch (e.type) {
      case "user_banned":
        bans.set(e.userId, e.until);
        gw.closeUser(e.userId);
        sessions.forget(e.userId);
        return;
      case "user_unbanned":
        bans.clear(e.userId);
        sessions.forget(e.userId);
        return;
      case "user_changed":
        sessions.forget(e.userId);
        return;
      case "board_changed":
        boards.invalidate(e.board);
        return;
      default: {
        const unhandled: never = e;
        log.warn({ event: unhandled }, "unhandled replica event");
      }
    }
  });
  link?.onStatus((up) => {
    gw.broadcastStatus(up ? "up" : "down");
    rooms.setRedisUp(up);
  });

  await bans.start();
  link?.start();
  presence.start?.();
  if (events instanceof RedisEventBus) await events.start();
  const main = await rooms.start();

  // ---- HTTP
  const render = new RenderPool();
  const bodies = new BoardBodies(render);
  const pubsub = (): PubSubStats => {
    const total: PubSubStats = { published: 0, received: 0, failed: 0, rejected: 0, lastPublishAt: link?.lastPublishAt ?? null, lastReceiveAt: link?.lastReceiveAt ?? null };
    for (const c of link?.counters.values() ?? []) {
      total.published += c.published;
      total.received += c.received;
      total.failed += c.failed;
      total.rejected += c.rejected;
    }
    return total;
  };
  const isHttps = (req: IncomingMessage) => clientSchemeOf(req, config.trustProxy) === "https";
  const api = createApi(
    {
      config,
      storage,
      sessions,
      service,
      boards,
      rooms,
      presence,
      bodies,
      log,
      redisStatus,
      connections: () => gw.connectionCount,
      pubsub,
      clientIp,
      isBanned: (id) => bans.isBanned(id),
      moderation: new Moderation({ storage, service, events, log }),
      timelapses: new Timelapses(storage, render, log),
    },
    isHttps,
  );

  const metrics = new Metrics(config.instanceId, {
    connections: () => gw.connectionCount,
    messages: () => ({ in: gw.counters.messagesIn, out: gw.counters.messagesOut }),
    placements: () => service.counters,
    pubsub: () => Object.fromEntries(link?.counters ?? []),
    redis: redisStatus,
    seq: () => main.seq,
    fanout: () => ({ frames: rooms.sent.framesSent, records: rooms.sent.recordsSent, gapMs: main.hub.gapMs }),
    catchUp: () => rooms.catchUp,
    encodes: () => bodies.counters,
  });
  main.hub.onFlush = (records, waitedMs) => {
    if (records > 0) metrics.fanoutLatency.observe(waitedMs / 1000);
  };
  const serveMetrics = (res: ServerResponse) => {
    metrics.render().then(
      ({ body, contentType }) => {
        res.writeHead(200, { "Content-Type": contentType, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
        res.end(body);
      },
      (err: Error) => sendError(res, 500, "internal", err.message),
    );
  };

  let nextHandler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;
  let nextClose: (() => Promise<void>) | null = null;
  let pageHeaders: ((nonce: string) => Record<string, string>) | null = null;
  if (opts.next) {
    const { default: createNext } = await import("next");
    const nextApp = createNext({ dev: !!opts.dev, dir: PROJECT_ROOT, hostname: "localhost", port: config.port });
    await nextApp.prepare();
    nextHandler = nextApp.getRequestHandler();
    pageHeaders = pageSecurityHeaders(PROJECT_ROOT, !!opts.dev);
    nextClose = () => nextApp.close();
  }

  const server = http.createServer((req, res) => {
    // /metrics is private (SPEC §14): on this port only with the metrics token, otherwise 404.
    if ((req.url === "/metrics" || req.url?.startsWith("/metrics?")) && config.metricsToken && bearer(req) === config.metricsToken) {
      serveMetrics(res);
      return;
    }
    if (api.handle(req, res)) return;
    if (!nextHandler) {
      sendError(res, 404, "not_found", "not found");
      return;
    }
    const headers = pageHeaders?.(randomBytes(16).toString("base64")) ?? {};
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    // Next reads the nonce of a page it renders per request from the request's policy.
    if (headers["Content-Security-Policy"]) req.headers["content-security-policy"] = headers["Content-Security-Policy"];
    if (isHttps(req)) res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    nextHandler(req, res).catch((err: Error) => {
      log.error({ err: err.message, url: req.url }, "page render failed");
      sendError(res, 500, "internal", "internal server error");
    });
  });
  server.on("upgrade", (req, socket, head) => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (pathname === "/ws") {
      void gw.handleUpgrade(req, socket, head);
      return;
    }
    // In dev, Next's hot-reload socket (/_next/webpack-hmr) attaches its own upgrade listener.
    if (!opts.dev) socket.destroy();
  });

  // A separate metrics listener for a private address (a Prometheus scraping the pod network).
  let metricsServer: http.Server | null = null;
  if (config.metricsPort !== null) {
    const ms = http.createServer((req, res) => {
      if ((req.url === "/metrics" || req.url?.startsWith("/metrics?")) && (req.method === "GET" || req.method === "HEAD")) serveMetrics(res);
      else sendError(res, 404, "not_found", "not found");
    });
    await listen(ms, config.metricsPort, config.metricsHost);
    metricsServer = ms;
  }

  await listen(server, config.port, config.host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;
  log.info({ url, db: storage.kind, dev: !!opts.dev, board: MAIN_BOARD, seq: main.seq }, "tessera listening");

  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      gw.beginShutdown();
      server.close();
      metricsServer?.close();
      await service.drain();
      rooms.flush();
      gw.close();
      cursors.close();
      server.closeAllConnections();
      bans.close();
      await snapshots.close();
      await rooms.close();
      await presence.close();
      if (events instanceof RedisEventBus) await events.close();
      await link?.close();
      await render.close();
      await nextClose?.().catch(() => {});
      await storage.close();
      log.info("tessera stopped");
    })();
    return closed;
  };

  return { config, server, port, url, storage, boards, rooms, service, gateway: gw, presence, link, events, bans, snapshots, log, close };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7) : null;
}

