// Composition of one Tessera replica: storage, board, canvas service, gateway, HTTP API and
// (optionally) Next, on one HTTP server. Tests start it without Next on port 0.

import http, { type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { CanvasService } from "./canvas/canvas-service";
import { pageSecurityHeaders } from "./csp";
import { RedisCluster } from "./cluster/pixel-channel";
import type { Config } from "./config";
import { Gateway } from "./realtime/gateway";
import { HttpApi, sendError } from "./http/api";
import { createLogger, type Logger } from "./logger";
import { Metrics } from "./metrics";
import { Convergence } from "./cluster/convergence";
import { type HubOptions, PixelHub } from "./realtime/pixel-hub";
import { Sessions } from "./sessions";
import { keptSessionSecret, openPglite, openPostgres, type Storage } from "./canvas/storage";

export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Graceful shutdown gives up and exits after this long. */
export const SHUTDOWN_DEADLINE_MS = 5_000;

export interface StartOptions {
  /** Serve the page through Next (false in protocol tests). */
  next?: boolean;
  dev?: boolean;
  log?: Logger;
  /** Tests shrink the replay window to exercise `resync`. */
  hub?: HubOptions;
}

export interface Running {
  config: Config;
  server: http.Server;
  port: number;
  url: string;
  storage: Storage;
  hub: PixelHub;
  service: CanvasService;
  gateway: Gateway;
  cluster: RedisCluster | null;
  convergence: Convergence;
  log: Logger;
  close(): Promise<void>;
}

/** Start one replica and resolve once it listens. */
export async function startTessera(config: Config, opts: StartOptions = {}): Promise<Running> {
  const log = opts.log ?? createLogger(config.logLevel, config.instanceId);
  const storage = config.databaseUrl
    ? await openPostgres(config.databaseUrl, (err) => log.warn({ err: err.message }, "idle database connection lost"))
    : await openPglite(config.dataDir);
  const secret = config.sessionSecret ?? keptSessionSecret(config.dataDir);

  const hub = new PixelHub(config.width, config.height, undefined, opts.hub);
  await hub.loadFrom(storage);
  log.info({ seq: hub.board.seq, db: storage.kind }, "board loaded");

  const convergence = new Convergence(storage, hub, log);
  // A failed commit may still have committed: reconcile the board with the database.
  const service = new CanvasService(storage, hub, config.width, config.height, config.cooldownMs, log, () => void convergence.request());
  const sessions = new Sessions(secret, storage);
  const clientIp = (req: IncomingMessage) => clientIpOf(req, config.trustProxy);
  let cluster: RedisCluster | null = null;
  const redisStatus = () => (cluster ? cluster.status : "disabled");
  const gateway = new Gateway({ config, sessions, service, hub, storage, log, redisStatus, clientIp });
  if (config.redisUrl) {
    const c = new RedisCluster({
      url: config.redisUrl,
      instanceId: config.instanceId,
      log,
      localPresence: () => ({ users: gateway.presence.users(), connections: gateway.connectionCount }),
      onRemoteRecords: (records) => {
        hub.ingest(records);
        convergence.watchGap();
      },
      onStatus: (up) => {
        gateway.broadcastStatus(up ? "up" : "down");
        convergence.setMode(up ? "redis-up" : "redis-down");
        // Whatever was published while we were away is in the database.
        if (up) void convergence.request();
      },
      onPresence: () => gateway.presenceChanged(),
    });
    cluster = c;
    hub.setFanout(c);
    gateway.presenceView = () => c.view();
    gateway.onLocalChange = () => c.localChanged();
    convergence.setMode("redis-down");
    c.start();
  }
  const api = new HttpApi({
    config,
    storage,
    sessions,
    service,
    hub,
    gateway,
    log,
    redisStatus,
    clientIp,
    instances: () =>
      cluster?.instances() ?? [{ id: config.instanceId, users: gateway.presence.users().length, connections: gateway.connectionCount }],
    pubsubStats: () => cluster?.stats ?? { published: 0, received: 0, failed: 0, lastPublishAt: null, lastReceiveAt: null },
  });

  const metrics = new Metrics(config.instanceId, {
    connections: () => gateway.connectionCount,
    messages: () => ({ in: gateway.counters.messagesIn, out: gateway.counters.messagesOut }),
    placements: () => service.counters,
    pubsub: () => cluster?.perChannel ?? {},
    redis: redisStatus,
    seq: () => hub.board.seq,
    catchUp: () => convergence.counters,
  });
  hub.onFlush = (records, waitedMs) => {
    if (records > 0) metrics.fanoutLatency.observe(waitedMs / 1000);
  };

  let nextHandler: ((req: IncomingMessage, res: http.ServerResponse) => Promise<void>) | null = null;
  let nextClose: (() => Promise<void>) | null = null;
  let pageHeaders: Record<string, string> = {};
  if (opts.next) {
    const { default: createNext } = await import("next");
    const nextApp = createNext({ dev: !!opts.dev, dir: PROJECT_ROOT, hostname: "localhost", port: config.port });
    await nextApp.prepare();
    nextHandler = nextApp.getRequestHandler();
    pageHeaders = pageSecurityHeaders(PROJECT_ROOT, !!opts.dev);
    nextClose = () => nextApp.close();
  }

  const server = http.createServer((req, res) => {
    if (req.url === "/metrics" && (req.method === "GET" || req.method === "HEAD")) {
      metrics.render().then(
        ({ body, contentType }) => {
          res.writeHead(200, { "Content-Type": contentType, "Cache-Control": "no-store" });
          res.end(body);
        },
        (err: Error) => sendError(res, 500, "internal", err.message),
      );
      return;
    }
    if (api.handle(req, res)) return;
    if (!nextHandler) {
      sendError(res, 404, "not_found", "not found");
      return;
    }
    for (const [k, v] of Object.entries(pageHeaders)) res.setHeader(k, v);
    nextHandler(req, res).catch((err: Error) => {
      log.error({ err: err.message, url: req.url }, "page render failed");
      sendError(res, 500, "internal", "internal server error");
    });
  });
  server.on("upgrade", (req, socket, head) => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (pathname === "/ws") {
      void gateway.handleUpgrade(req, socket, head);
      return;
    }
    // In dev, Next's hot-reload socket (/_next/webpack-hmr) attaches its own upgrade listener.
    if (!opts.dev) socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;
  log.info({ url, db: storage.kind, dev: !!opts.dev }, "tessera listening");

  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      gateway.beginShutdown();
      server.close();
      await service.drain();
      hub.flush();
      gateway.close();
      server.closeAllConnections();
      await convergence.stop();
      await cluster?.close();
      hub.close();
      await nextClose?.().catch(() => {});
      await storage.close();
      log.info("tessera stopped");
    })();
    return closed;
  };

  return { config, server, port, url, storage, hub, service, gateway, cluster, convergence, log, close };
}

/**
 * The client's address: the socket's, or behind a trusted proxy the last X-Forwarded-For hop — the
 * one our own proxy wrote. Earlier hops are whatever the client chose to send.
 */
export function clientIpOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(fwd) ? fwd.join(",") : (fwd ?? "")).split(",").map((h) => h.trim()).filter(Boolean);
    if (hops.length > 0) return hops[hops.length - 1];
  }
  return req.socket.remoteAddress ?? "unknown";
}
