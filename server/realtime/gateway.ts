// The WebSocket gateway on /ws (SPEC §4). The upgrade is checked up front — origin, session,
// per-IP cap — before any state exists; then each connection gets a welcome, live PIXELS frames
// from the hub, and its `place` / `sync` / `ping` messages answered.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import {
  FLOOD_TOLERANCE_MESSAGES,
  FLOOD_TOLERANCE_PER_S,
  IP_BUDGET_CONNECTIONS,
  MAX_WS_FRAME_BYTES,
  MESSAGES_PER_PLACEMENT,
  MIN_MESSAGES_PER_CONNECTION_PER_S,
  PLACEMENT_BURST_SECONDS,
  PRESENCE_PUSH_INTERVAL_MS,
  PROTOCOL_VERSION,
  WS_HEARTBEAT_INTERVAL_MS,
  WS_MAX_BUFFERED_BYTES,
} from "../../lib/limits";
import { PALETTE } from "../../lib/palette";
import {
  CloseCodes,
  ErrorCodes,
  parseClientMessage,
  type ClientMessage,
  type PublicUser,
  type RedisStatus,
  type ServerMessage,
} from "../../lib/protocol";
import type { CanvasService } from "../canvas/canvas-service";
import type { Config } from "../config";
import type { Logger } from "../logger";
import { PixelHub, type PixelSink } from "./pixel-hub";
import { LocalPresence, type PresenceView } from "./presence";
import { TokenBucket } from "./rate-limit";
import type { Sessions } from "../sessions";
import type { Storage } from "../canvas/storage";

/** Token buckets of one connection or one IP: placements, and messages of any kind. */
class Budget {
  readonly placements: TokenBucket;
  readonly messages: TokenBucket;

  /** `placementsPerS` 0 = unlimited (benchmarks): then messages are unlimited too. */
  constructor(placementsPerS: number, now: number) {
    const messagesPerS = placementsPerS === 0 ? 0 : Math.max(MIN_MESSAGES_PER_CONNECTION_PER_S, placementsPerS * MESSAGES_PER_PLACEMENT);
    this.placements = new TokenBucket(placementsPerS, Math.max(1, placementsPerS * PLACEMENT_BURST_SECONDS), now);
    this.messages = new TokenBucket(messagesPerS, Math.max(1, messagesPerS * PLACEMENT_BURST_SECONDS), now);
  }
}

interface IpState {
  connections: number;
  budget: Budget;
}

export interface GatewayDeps {
  config: Config;
  sessions: Sessions;
  service: CanvasService;
  hub: PixelHub;
  storage: Storage;
  log: Logger;
  redisStatus: () => RedisStatus;
  /** The client's IP (honours TRUST_PROXY). */
  clientIp: (req: IncomingMessage) => string;
}

class Client implements PixelSink {
  alive = true;
  readonly budget: Budget;
  /** Over-limit messages still tolerated; empty = flooding, the connection is closed with 1008. */
  readonly tolerance: TokenBucket;

  constructor(
    readonly ws: WebSocket,
    readonly user: PublicUser,
    readonly ip: IpState & { address: string },
    private readonly gateway: Gateway,
    placementsPerS: number,
  ) {
    const now = performance.now();
    this.budget = new Budget(placementsPerS, now);
    this.tolerance = new TokenBucket(FLOOD_TOLERANCE_PER_S, FLOOD_TOLERANCE_MESSAGES, now);
  }

  sendPixels(frame: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // A client that stopped reading would make the server hold an ever-growing buffer for it.
    if (this.ws.bufferedAmount > WS_MAX_BUFFERED_BYTES) {
      this.gateway.log.warn({ user: this.user.id, buffered: this.ws.bufferedAmount }, "dropping slow consumer");
      this.gateway.counters.slowClosed++;
      this.ws.close(CloseCodes.tryAgainLater, "too slow: reconnect and sync");
      this.ws.terminate();
      return;
    }
    this.gateway.counters.messagesOut++;
    this.ws.send(frame, { binary: true });
  }

  send(msg: ServerMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.gateway.counters.messagesOut++;
    this.ws.send(JSON.stringify(msg));
  }
}

export class Gateway {
  readonly wss: WebSocketServer;
  readonly presence = new LocalPresence();
  readonly log: Logger;
  readonly counters = { messagesIn: 0, messagesOut: 0, upgradesRejected: 0, floodClosed: 0, slowClosed: 0 };
  private readonly clients = new Set<Client>();
  private readonly perIp = new Map<string, IpState & { address: string }>();
  private readonly heartbeat: NodeJS.Timeout;
  private presenceTimer: NodeJS.Timeout | null = null;
  private lastPushed = "";
  private closing = false;
  /** Replaced by the cluster aggregation when Redis is in use. */
  presenceView: () => PresenceView = () => this.presence.view();
  /** Called when this replica's own set of users or connections changed (the cluster republishes it). */
  onLocalChange: () => void = () => {};

  constructor(private readonly deps: GatewayDeps) {
    this.log = deps.log;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_FRAME_BYTES, perMessageDeflate: false });
    this.heartbeat = setInterval(() => this.sweep(), WS_HEARTBEAT_INTERVAL_MS);
    this.heartbeat.unref();
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  /** Route an HTTP upgrade for /ws here. Rejections answer with a plain HTTP status and no upgrade. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    if (this.closing) return refuse(socket, 503, "Service Unavailable");
    if (req.method !== "GET") return refuse(socket, 405, "Method Not Allowed");
    if (!this.originAllowed(req)) {
      this.counters.upgradesRejected++;
      return refuse(socket, 403, "Forbidden");
    }
    let user: PublicUser | null;
    try {
      user = await this.deps.sessions.userOf(req);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, "session lookup failed during upgrade");
      return refuse(socket, 503, "Service Unavailable");
    }
    if (!user) {
      this.counters.upgradesRejected++;
      return refuse(socket, 401, "Unauthorized");
    }
    const ip = this.deps.clientIp(req);
    if ((this.perIp.get(ip)?.connections ?? 0) >= this.deps.config.maxConnectionsPerIp) {
      this.counters.upgradesRejected++;
      return refuse(socket, 429, "Too Many Requests");
    }
    const cooldownUntil = await this.cooldownUntilOf(user.id);
    if (socket.destroyed) return;
    const signedIn = user;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, signedIn, ip, cooldownUntil));
  }

  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    // Browsers always send Origin on WebSocket upgrades; its absence means a non-browser client,
    // which cannot be used for cross-site hijacking of a visitor's cookie.
    if (origin === undefined) return true;
    const allowed = this.deps.config.allowedOrigins;
    if (allowed) return allowed.includes(origin);
    const host = req.headers["x-forwarded-host"] && this.deps.config.trustProxy ? req.headers["x-forwarded-host"] : req.headers.host;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  private accept(ws: WebSocket, user: PublicUser, address: string, cooldownUntil: number): void {
    const perS = this.deps.config.placementsPerConnectionPerS;
    let ip = this.perIp.get(address);
    if (!ip) {
      ip = { address, connections: 0, budget: new Budget(perS * IP_BUDGET_CONNECTIONS, performance.now()) };
      this.perIp.set(address, ip);
    }
    ip.connections++;
    const client = new Client(ws, user, ip, this, perS);
    this.clients.add(client);
    this.presence.join(user);
    // The welcome is the first frame, and the client is registered with the hub in the same
    // synchronous step: every placement after welcome.seq reaches it, and nothing precedes it.
    const seq = this.welcome(client, cooldownUntil);
    this.deps.hub.addSink(client);
    // Records applied above the watermark before this client arrived (a gap is open) are not
    // covered by welcome.seq and were broadcast before it listened: send them now.
    const ahead = this.deps.hub.replay(seq);
    if (ahead && ahead.length > 0) PixelHub.sendChunked(client, ahead);
    const view = this.presenceView();
    client.send({ type: "stats", activeUsers: view.activeUsers, connections: view.connections, scope: view.scope, timestamp: Date.now() });
    client.send({ type: "user_list", users: view.users, timestamp: Date.now() });
    this.onLocalChange();
    ws.on("pong", () => (client.alive = true));
    ws.on("message", (data, isBinary) => this.onMessage(client, data as Buffer, isBinary));
    ws.on("close", () => this.drop(client));
    ws.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
    this.presenceChanged();
  }

  /** The user's cooldown end for the welcome: this replica's own knowledge, else the database's. */
  private async cooldownUntilOf(userId: string): Promise<number> {
    const { service, config, storage } = this.deps;
    const local = service.knownRemainingMs(userId);
    if (local > 0) return Date.now() + local;
    if (config.cooldownMs === 0) return 0;
    try {
      const stored = await storage.getUser(userId);
      return stored?.lastPlacedAt ? stored.lastPlacedAt + config.cooldownMs : 0;
    } catch {
      return 0; // the database is down: the client learns its cooldown from the first reject instead
    }
  }

  /** Send the welcome. Must run in the same synchronous step as registering the client with the hub. */
  private welcome(client: Client, cooldownUntil: number): number {
    const { hub, config } = this.deps;
    const seq = hub.board.seq;
    client.send({
      type: "welcome",
      protocol: PROTOCOL_VERSION,
      instanceId: config.instanceId,
      user: client.user,
      seq,
      width: config.width,
      height: config.height,
      palette: [...PALETTE],
      cooldownMs: config.cooldownMs,
      cooldownUntil,
      redis: this.deps.redisStatus(),
    });
    return seq;
  }

  private onMessage(client: Client, data: Buffer, isBinary: boolean): void {
    this.counters.messagesIn++;
    if (isBinary) {
      client.send({ type: "error", code: ErrorCodes.binaryNotAccepted, message: "send JSON text frames" });
      return;
    }
    const parsed = parseClientMessage(data.toString("utf8"));
    const now = performance.now();
    // Both the connection's and its IP's budget must allow the message.
    if (!client.budget.messages.take(now) || !client.ip.budget.messages.take(now)) {
      if (this.strike(client, now)) return;
      if (parsed.ok && parsed.value.type === "place") {
        this.rejectRateLimited(client, parsed.value.ref ?? null);
      } else {
        client.send({ type: "error", code: ErrorCodes.rateLimited, message: "too many messages: slow down" });
      }
      return;
    }
    if (!parsed.ok) {
      client.send({ type: "error", code: parsed.code, message: parsed.message });
      return;
    }
    this.dispatch(client, parsed.value);
  }

  /** Count an over-limit message; returns true when the connection was closed for flooding. */
  private strike(client: Client, now: number): boolean {
    if (client.tolerance.take(now)) return false;
    this.counters.floodClosed++;
    this.log.warn({ user: client.user.id, ip: client.ip.address }, "closing a flooding connection");
    client.ws.close(CloseCodes.policyViolation, "flooding: too many messages");
    return true;
  }

  private rejectRateLimited(client: Client, ref: string | null): void {
    this.deps.service.countRejection("rate_limited");
    const perS = this.deps.config.placementsPerConnectionPerS;
    client.send({
      type: "reject",
      ref,
      code: "rate_limited",
      message: `too many placements: at most ${perS} per second per connection`,
      retryAfterMs: Math.ceil(1000 / Math.max(1, perS)),
    });
  }

  private dispatch(client: Client, msg: ClientMessage): void {
    switch (msg.type) {
      case "place":
        return this.place(client, msg);
      case "sync":
        return this.sync(client, msg.since);
      case "ping":
        return client.send({ type: "pong" });
      default: {
        const unhandled: never = msg;
        throw new Error(`unhandled message ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private place(client: Client, msg: Extract<ClientMessage, { type: "place" }>): void {
    const ref = msg.ref ?? null;
    if (this.closing) {
      client.send({ type: "reject", ref, code: "unavailable", message: "this server is shutting down; reconnect to place" });
      return;
    }
    const now = performance.now();
    if (!client.budget.placements.take(now) || !client.ip.budget.placements.take(now)) {
      if (this.strike(client, now)) return;
      this.rejectRateLimited(client, ref);
      return;
    }
    void this.deps.service.place(client.user, msg.x, msg.y, msg.color).then((r) => {
      if (r.ok) client.send({ type: "ack", ref, seq: r.seq, cooldownUntil: r.cooldownUntil });
      else client.send({ type: "reject", ref, code: r.code, message: r.message, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}) });
    });
  }

  private sync(client: Client, since: number): void {
    const records = this.deps.hub.replay(since);
    if (records === null) {
      client.send({ type: "resync", seq: this.deps.hub.board.seq });
      return;
    }
    PixelHub.sendChunked(client, records);
  }

  private drop(client: Client): void {
    if (!this.clients.delete(client)) return;
    this.deps.hub.removeSink(client);
    if (--client.ip.connections <= 0) this.perIp.delete(client.ip.address);
    this.presence.leave(client.user);
    this.presenceChanged();
    this.onLocalChange();
  }

  /** Schedule a coalesced stats/user_list push (at most one per PRESENCE_PUSH_INTERVAL_MS). */
  presenceChanged(): void {
    if (this.presenceTimer !== null || this.closing) return;
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = null;
      this.pushPresence();
    }, PRESENCE_PUSH_INTERVAL_MS);
  }

  private pushPresence(): void {
    const view = this.presenceView();
    const key = JSON.stringify(view);
    if (key === this.lastPushed) return;
    this.lastPushed = key;
    const now = Date.now();
    const stats = JSON.stringify({ type: "stats", activeUsers: view.activeUsers, connections: view.connections, scope: view.scope, timestamp: now } satisfies ServerMessage);
    const list = JSON.stringify({ type: "user_list", users: view.users, timestamp: now } satisfies ServerMessage);
    for (const c of this.clients) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      c.ws.send(stats);
      c.ws.send(list);
      this.counters.messagesOut += 2;
    }
  }

  /** Tell every client this replica's Redis state changed. */
  broadcastStatus(redis: RedisStatus): void {
    for (const c of this.clients) c.send({ type: "status", redis });
  }

  private sweep(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  /** First step of a shutdown: refuse new upgrades and placements; in-flight ones still finish. */
  beginShutdown(): void {
    this.closing = true;
  }

  /** Close every connection with 1001. */
  close(): void {
    this.closing = true;
    clearInterval(this.heartbeat);
    if (this.presenceTimer) clearTimeout(this.presenceTimer);
    for (const c of this.clients) c.ws.close(CloseCodes.goingAway, "server shutting down");
    this.wss.close();
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
}
