// The WebSocket gateway on /ws (SPEC §4, §9–§11). The upgrade is checked up front — method, origin,
// board, per-IP cap (reserved before any await, so concurrent upgrades cannot overshoot it),
// session, ban — before any connection state exists; then each connection follows one board's room:
// a welcome, live PIXELS frames, presence, cursors, and its `place` / `sync` / `ping` / `view` /
// `cursor` messages answered. Every inbound frame of any kind (text, binary, pong) spends the
// connection's and its IP's message budget; every outbound frame goes through one bounded send.

import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import {
  CURSOR_MESSAGES_PER_S,
  FLOOD_TOLERANCE_MESSAGES,
  FLOOD_TOLERANCE_PER_S,
  IP_BUDGET_CONNECTIONS,
  MAX_WS_FRAME_BYTES,
  MESSAGES_PER_PLACEMENT,
  MIN_MESSAGES_PER_CONNECTION_PER_S,
  PLACEMENT_BURST_SECONDS,
  PRESENCE_FRAME_MAX_BYTES,
  PRESENCE_PUSH_INTERVAL_MS,
  PROTOCOL_VERSION,
  WS_HEARTBEAT_INTERVAL_MS,
  WS_MAX_BUFFERED_BYTES,
} from "../../lib/limits";
import { PALETTE } from "../../lib/palette";
import {
  type ClientMessage,
  CloseCodes,
  ErrorCodes,
  isBoardId,
  MAIN_BOARD,
  parseClientMessage,
  type PublicUser,
  type RedisStatus,
  type ServerMessage,
} from "../../lib/protocol";
import { boardInfo } from "../canvas/boards";
import type { CanvasService } from "../canvas/canvas-service";
import type { Storage } from "../canvas/store";
import type { Config } from "../config";
import type { Logger } from "../logger";
import { originAllowed } from "../origin";
import type { Sessions } from "../sessions";
import type { Cursors } from "./cursors";
import { PixelHub } from "./pixel-hub";
import type { Presence, PresenceWindow } from "./presence";
import { TokenBucket } from "./rate-limit";
import type { Room, RoomMember } from "./room";
import type { Rooms } from "./rooms";

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
  address: string;
  connections: number;
  /** Upgrades admitted past the cap check and not finished yet. */
  pending: number;
  budget: Budget;
}

/** Who may not connect or place (moderation keeps it current across replicas). */
export interface BanCheck {
  isBanned(userId: string): boolean;
}

export interface GatewayDeps {
  config: Config;
  sessions: Sessions;
  service: CanvasService;
  rooms: Rooms;
  presence: Presence;
  cursors: Cursors;
  bans: BanCheck;
  storage: Storage;
  log: Logger;
  redisStatus: () => RedisStatus;
  /** The client's IP (honours TRUST_PROXY). */
  clientIp: (req: IncomingMessage) => string;
}

/** Per-board presence pushes: the pending one, and when the last one went out. */
interface PushState {
  timer: NodeJS.Timeout | null;
  lastAt: number;
}

class Client implements RoomMember {
  /** The payload of the outstanding ping: only a pong echoing it (RFC 6455) counts as a sign of life. */
  pingNonce: Buffer | null = null;
  alive = true;
  /** bufferedAmount at the last sweep: a peer that reads nothing for a whole interval is dropped. */
  bufferedAtSweep = 0;
  readonly budget: Budget;
  /** Over-limit messages still tolerated; empty = flooding, the connection is closed with 1008. */
  readonly tolerance: TokenBucket;
  readonly cursorBudget: TokenBucket;
  /** performance.now() of the last presence frame sent to this client (SPEC §10: ≤ 4 a second). */
  presenceAt = -Infinity;
  /** The presence frames (without timestamp) last sent to this client: unchanged ones are not sent again. */
  sentStats = "";
  sentList = "";
  private dropped = false;

  constructor(
    readonly ws: WebSocket,
    readonly user: PublicUser,
    readonly room: Room,
    readonly ip: IpState,
    private readonly gateway: Gateway,
    placementsPerS: number,
  ) {
    const now = performance.now();
    this.budget = new Budget(placementsPerS, now);
    this.tolerance = new TokenBucket(FLOOD_TOLERANCE_PER_S, FLOOD_TOLERANCE_MESSAGES, now);
    this.cursorBudget = new TokenBucket(CURSOR_MESSAGES_PER_S, CURSOR_MESSAGES_PER_S, now);
  }

  get userId(): string {
    return this.user.id;
  }

  get board(): string {
    return this.room.id;
  }

  /** True while frames can still be written; drops (1013) a client whose unsent bytes passed the bound. */
  private writable(): boolean {
    if (this.dropped || this.ws.readyState !== WebSocket.OPEN) return false;
    // A client that stopped reading would make the server hold an ever-growing buffer for it.
    if (this.ws.bufferedAmount > WS_MAX_BUFFERED_BYTES) {
      this.dropped = true;
      this.gateway.log.warn({ user: this.user.id, buffered: this.ws.bufferedAmount }, "dropping slow consumer");
      this.gateway.counters.slowClosed++;
      this.ws.close(CloseCodes.tryAgainLater, "too slow: reconnect and sync");
      this.ws.terminate();
      return false;
    }
    return true;
  }

  sendPixels(frame: Uint8Array): void {
    if (!this.writable()) return;
    this.gateway.counters.messagesOut++;
    this.ws.send(frame, { binary: true });
  }

  sendText(text: string): void {
    if (!this.writable()) return;
    this.gateway.counters.messagesOut++;
    this.ws.send(text);
  }

  send(msg: ServerMessage): void {
    this.sendText(JSON.stringify(msg));
  }
}

export class Gateway {
  readonly wss: WebSocketServer;
  readonly log: Logger;
  readonly counters = { messagesIn: 0, messagesOut: 0, upgradesRejected: 0, floodClosed: 0, slowClosed: 0 };
  private readonly clients = new Set<Client>();
  private readonly byUser = new Map<string, Set<Client>>();
  private readonly perIp = new Map<string, IpState>();
  private readonly pushes = new Map<string, PushState>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly stopPresence: () => void;
  private closing = false;

  constructor(private readonly deps: GatewayDeps) {
    this.log = deps.log;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_FRAME_BYTES, perMessageDeflate: false });
    this.heartbeat = setInterval(() => this.sweep(), WS_HEARTBEAT_INTERVAL_MS);
    this.heartbeat.unref();
    this.stopPresence = deps.presence.subscribe((board) => this.presenceChanged(board));
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  /** Route an HTTP upgrade for /ws here. Rejections answer with a plain HTTP status and no upgrade. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    if (this.closing) return refuse(socket, 503, "Service Unavailable");
    if (req.method !== "GET") return refuse(socket, 405, "Method Not Allowed");
    if (!originAllowed(req, this.deps.config)) return this.reject(socket, 403, "Forbidden");
    const boardId = new URL(req.url ?? "/ws", "http://localhost").searchParams.get("board") ?? MAIN_BOARD;
    if (!isBoardId(boardId)) return this.reject(socket, 404, "Not Found");
    // Reserve this IP's slot before the first await: concurrent upgrades see each other.
    const address = this.deps.clientIp(req);
    const ip = this.ipState(address);
    if (ip.connections + ip.pending >= this.deps.config.maxConnectionsPerIp) {
      this.forgetIpIfIdle(ip);
      return this.reject(socket, 429, "Too Many Requests");
    }
    ip.pending++;
    let room: Room | null = null;
    let accepted = false;
    try {
      const user = await this.deps.sessions.userOf(req);
      if (!user) return this.reject(socket, 401, "Unauthorized");
      room = await this.deps.rooms.acquire(boardId);
      if (!room) return this.reject(socket, 404, "Not Found");
      const cooldownUntil = this.deps.bans.isBanned(user.id) ? 0 : await this.cooldownUntilOf(room, user.id);
      if (socket.destroyed || this.closing) return;
      const r = room;
      accepted = true;
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ip.pending--;
        if (this.deps.bans.isBanned(user.id)) {
          // Refused a new connection, with the reason the page can show (SPEC §12).
          ws.close(CloseCodes.banned, "banned");
          this.deps.rooms.release(r);
          this.forgetIpIfIdle(ip);
          return;
        }
        this.accept(ws, user, r, ip, cooldownUntil);
      });
    } catch (err) {
      this.log.error({ err: (err as Error).message }, "upgrade failed: database unavailable");
      refuse(socket, 503, "Service Unavailable");
    } finally {
      if (!accepted) {
        ip.pending--;
        this.forgetIpIfIdle(ip);
        if (room) this.deps.rooms.release(room);
      }
    }
  }

  private reject(socket: Duplex, status: number, text: string): void {
    this.counters.upgradesRejected++;
    refuse(socket, status, text);
  }

  private ipState(address: string): IpState {
    let ip = this.perIp.get(address);
    if (!ip) {
      const perS = this.deps.config.placementsPerConnectionPerS;
      ip = { address, connections: 0, pending: 0, budget: new Budget(perS * IP_BUDGET_CONNECTIONS, performance.now()) };
      this.perIp.set(address, ip);
    }
    return ip;
  }

  private forgetIpIfIdle(ip: IpState): void {
    if (ip.connections <= 0 && ip.pending <= 0) this.perIp.delete(ip.address);
  }

  private accept(ws: WebSocket, user: PublicUser, room: Room, ip: IpState, cooldownUntil: number): void {
    ip.connections++;
    const client = new Client(ws, user, room, ip, this, this.deps.config.placementsPerConnectionPerS);
    this.clients.add(client);
    let tabs = this.byUser.get(user.id);
    if (!tabs) {
      tabs = new Set();
      this.byUser.set(user.id, tabs);
    }
    tabs.add(client);
    this.deps.presence.join(room.id, user);
    // The welcome is the first frame, and the client joins the room in the same synchronous step:
    // every placement after welcome.seq reaches it, and nothing precedes it.
    const seq = this.welcome(client, cooldownUntil);
    room.add(client);
    // Records applied above the watermark before this client arrived (a gap is open) are not
    // covered by welcome.seq and were broadcast before it listened: send them now.
    const ahead = room.hub.replay(seq);
    if (ahead && ahead.length > 0) PixelHub.sendChunked(client, ahead);
    this.sendPresence(client, this.deps.presence.window(room.id));
    ws.on("pong", (data) => this.onPong(client, data));
    ws.on("message", (data, isBinary) => this.onMessage(client, data as Buffer, isBinary));
    ws.on("close", () => this.drop(client));
    ws.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
  }

  /** The user's cooldown end for the welcome: this replica's own knowledge, else the database's. */
  private async cooldownUntilOf(room: Room, userId: string): Promise<number> {
    const local = this.deps.service.knownCooldownUntil(room.id, userId);
    if (local > 0) return local;
    if (room.meta.cooldownMs === 0) return 0;
    try {
      const last = await this.deps.storage.lastPlacedAt(room.id, userId);
      return last === null ? 0 : last + room.meta.cooldownMs;
    } catch {
      return 0; // the database is down: the client learns its cooldown from the first reject instead
    }
  }

  /** Send the welcome. Must run in the same synchronous step as adding the client to the room. */
  private welcome(client: Client, cooldownUntil: number): number {
    const { config } = this.deps;
    const room = client.room;
    const seq = room.seq;
    const window = this.deps.presence.window(room.id);
    client.send({
      type: "welcome",
      protocol: PROTOCOL_VERSION,
      instanceId: config.instanceId,
      user: client.user,
      board: boardInfo(room.meta, seq, window.total),
      seq,
      width: room.meta.width,
      height: room.meta.height,
      palette: [...PALETTE],
      cooldownMs: room.meta.cooldownMs,
      cooldownUntil,
      redis: this.deps.redisStatus(),
    });
    return seq;
  }

  private onPong(client: Client, data: Buffer): void {
    // Pongs are messages like any other (they spend the budget); only one echoing our last ping's
    // random payload proves the peer read it — a peer that reads nothing cannot know it.
    if (!this.spend(client)) return;
    if (client.pingNonce && data.equals(client.pingNonce)) {
      client.pingNonce = null;
      client.alive = true;
    }
  }

  private onMessage(client: Client, data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      if (this.spend(client)) client.send({ type: "error", code: ErrorCodes.binaryNotAccepted, message: "send JSON text frames" });
      return;
    }
    const parsed = parseClientMessage(data.toString("utf8"));
    // An over-budget `place` is answered with its own reject, so the page can match its ref.
    if (!this.spend(client, parsed.ok && parsed.value.type === "place" ? (parsed.value.ref ?? null) : undefined)) return;
    if (!parsed.ok) {
      client.send({ type: "error", code: parsed.code, message: parsed.message });
      return;
    }
    this.dispatch(client, parsed.value);
  }

  /**
   * Spend one message of the connection's and its IP's budgets. Over budget, the message is answered
   * (a `place`, whose ref is given, with its reject) and false returned — or, past the flood
   * tolerance, the connection is closed with 1008.
   */
  private spend(client: Client, placeRef?: string | null): boolean {
    this.counters.messagesIn++;
    const now = performance.now();
    if (client.budget.messages.take(now) && client.ip.budget.messages.take(now)) return true;
    if (this.strike(client, now)) return false;
    if (placeRef !== undefined) this.rejectRateLimited(client, placeRef);
    else client.send({ type: "error", code: ErrorCodes.rateLimited, message: "too many messages: slow down" });
    return false;
  }

  /** Count an over-limit message; true when the connection was closed for flooding. */
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
      case "view":
        return this.deps.cursors.view(client, msg);
      case "cursor":
        // Volatile: at most CURSOR_MESSAGES_PER_S are relayed; the excess is dropped silently.
        if (client.cursorBudget.take(performance.now())) this.deps.cursors.move(client, msg.x === null || msg.y === null ? null : { x: msg.x, y: msg.y });
        return;
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
      if (!this.strike(client, now)) this.rejectRateLimited(client, ref);
      return;
    }
    if (this.deps.bans.isBanned(client.user.id)) {
      this.deps.service.countRejection("banned");
      client.send({ type: "reject", ref, code: "banned", message: "you are banned from placing pixels" });
      return;
    }
    void this.deps.service.place(client.board, client.user, msg.x, msg.y, msg.color).then((r) => {
      if (r.ok) client.send({ type: "ack", ref, seq: r.seq, cooldownUntil: r.cooldownUntil });
      else if (r.code === "no_board") client.send({ type: "reject", ref, code: "unavailable", message: r.message });
      else client.send({ type: "reject", ref, code: r.code, message: r.message, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}) });
    });
  }

  private sync(client: Client, since: number): void {
    const records = client.room.hub.replay(since);
    if (records === null) {
      client.send({ type: "resync", seq: client.room.seq });
      return;
    }
    PixelHub.sendChunked(client, records);
  }

  private drop(client: Client): void {
    if (!this.clients.delete(client)) return;
    client.room.remove(client);
    this.deps.cursors.leave(client);
    const tabs = this.byUser.get(client.user.id);
    tabs?.delete(client);
    if (tabs?.size === 0) this.byUser.delete(client.user.id);
    client.ip.connections--;
    this.forgetIpIfIdle(client.ip);
    this.deps.presence.leave(client.room.id, client.user);
    this.deps.rooms.release(client.room);
  }

  // ---------------------------------------------------------------- presence pushes

  /** The window or counts of a board changed: push to its local clients, at most every PRESENCE_PUSH_INTERVAL_MS. */
  private presenceChanged(board: string): void {
    if (this.closing || !this.deps.rooms.get(board)) return;
    let p = this.pushes.get(board);
    if (!p) {
      p = { timer: null, lastAt: -Infinity };
      this.pushes.set(board, p);
    }
    if (p.timer) return;
    const wait = Math.max(0, p.lastAt + PRESENCE_PUSH_INTERVAL_MS - performance.now());
    const state = p;
    state.timer = setTimeout(() => {
      state.timer = null;
      this.pushPresence(board, state);
    }, wait);
    state.timer.unref();
  }

  private pushPresence(board: string, p: PushState): void {
    const room = this.deps.rooms.get(board);
    if (!room || room.memberCount === 0) {
      this.pushes.delete(board);
      return;
    }
    p.lastAt = performance.now();
    const { stats, list } = presenceFrames(this.deps.presence.window(board));
    let behind = false;
    const soonest = p.lastAt - PRESENCE_PUSH_INTERVAL_MS;
    for (const m of room.all()) {
      const c = m as Client;
      const needStats = c.sentStats !== stats;
      const needList = c.sentList !== list;
      if (!needStats && !needList) continue;
      // A client that got presence less than an interval ago (it just joined) waits for the next push.
      if (c.presenceAt > soonest) {
        behind = true;
        continue;
      }
      c.presenceAt = p.lastAt;
      if (needStats) c.sendText(withTimestamp((c.sentStats = stats)));
      if (needList) c.sendText(withTimestamp((c.sentList = list)));
    }
    if (behind) this.presenceChanged(board);
  }

  /** The current presence of the client's board, right after its welcome. */
  private sendPresence(client: Client, w: PresenceWindow): void {
    const { stats, list } = presenceFrames(w);
    client.presenceAt = performance.now();
    client.sendText(withTimestamp((client.sentStats = stats)));
    client.sendText(withTimestamp((client.sentList = list)));
  }

  // ---------------------------------------------------------------- events

  /** Tell every client this replica's Redis state changed. */
  broadcastStatus(redis: RedisStatus): void {
    const text = JSON.stringify({ type: "status", redis } satisfies ServerMessage);
    for (const c of this.clients) c.sendText(text);
  }

  /** Close every connection of a user with 4003 (a ban, from any replica). */
  closeUser(userId: string): number {
    const tabs = this.byUser.get(userId);
    if (!tabs) return 0;
    for (const c of tabs) c.ws.close(CloseCodes.banned, "banned");
    return tabs.size;
  }

  private sweep(): void {
    for (const c of this.clients) {
      // No pong to the last ping, or not one byte of ours read in a whole interval: gone.
      const stuck = c.bufferedAtSweep > 0 && c.ws.bufferedAmount >= c.bufferedAtSweep;
      if (!c.alive || stuck) {
        c.ws.terminate();
        continue;
      }
      c.bufferedAtSweep = c.ws.bufferedAmount;
      c.alive = false;
      c.pingNonce = randomBytes(8);
      c.ws.ping(c.pingNonce);
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
    this.stopPresence();
    for (const p of this.pushes.values()) if (p.timer) clearTimeout(p.timer);
    for (const c of this.clients) c.ws.close(CloseCodes.goingAway, "server shutting down");
    this.wss.close();
  }
}

/**
 * The two presence frames of a window, without their timestamp (added per send, so unchanged
 * windows compare equal). The user list is cut to fit PRESENCE_FRAME_MAX_BYTES: `total` still says
 * how many there are, and the page pages through the rest.
 */
export function presenceFrames(w: PresenceWindow): { stats: string; list: string } {
  const stats = `{"type":"stats","activeUsers":${w.total},"connections":${w.connections},"scope":"${w.scope}"`;
  let users = JSON.stringify(w.users);
  if (Buffer.byteLength(users) > PRESENCE_FRAME_MAX_BYTES) {
    const kept: PublicUser[] = [];
    let bytes = 2;
    for (const u of w.users) {
      const entry = Buffer.byteLength(JSON.stringify(u)) + 1;
      if (bytes + entry > PRESENCE_FRAME_MAX_BYTES) break;
      kept.push(u);
      bytes += entry;
    }
    users = JSON.stringify(kept);
  }
  return { stats, list: `{"type":"user_list","users":${users},"total":${w.total}` };
}

function withTimestamp(frame: string): string {
  return `${frame},"timestamp":${Date.now()}}`;
}

function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
}
