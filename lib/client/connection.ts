// The live link to the server: snapshot + WebSocket, reconnects, sync, pings, and placements.
// Framework-free: it talks to the page through a listener and gets its socket and HTTP calls
// injected, so the tests drive it with a fake socket and fake timers.
//
// Algorithm (nothing may be missed):
//  1. start(): fetch the snapshot and open the socket in parallel. Records that arrive before the
//     snapshot is installed are buffered (BoardSync) and applied after it.
//  2. welcome / snapshot installed: when welcome.seq > board.seq, send sync{since: board.seq}.
//  3. Socket closed: keep the board, reconnect with jittered exponential backoff (soon after 1001,
//     much later after 1008); the next welcome triggers step 2 again. `resync` refetches the board.
//  4. A hole in the seqs that stays open is asked for with sync (BoardSync.checkGap).
//  5. While disconnected, a cheap HTTP probe asks whether the server answers; once it failed and
//     then succeeds (the server is back), the socket reconnects at once instead of waiting out a
//     backoff that may by then be several seconds long.
//  6. Closed with 4003 (banned, SPEC §12): never reconnect. A welcome of another protocol than
//     this page's: say so and stop (the page reloads itself to get the matching code).

import type { Board } from "../canvas";
import {
  CloseCodes,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ClientMessage,
  type CursorEntry,
  type PublicUser,
  type RedisStatus,
  type RejectCode,
  type ServerMessage,
  type StatsScope,
  type WelcomeMessage,
} from "../protocol";
import { CLIENT_PING_INTERVAL_MS, CLIENT_RECONNECT_MAX_MS, CLIENT_RECONNECT_MIN_MS } from "../limits";
import type { CanvasSnapshot } from "./api";
import {
  ABUSE_RECONNECT_MS,
  MAX_RECONNECT_ATTEMPTS,
  PENDING_PLACE_TIMEOUT_MS,
  RECONNECT_PROBE_JITTER_MS,
  RECONNECT_PROBE_MS,
  SILENT_SOCKET_MS,
} from "./constants";
import { PendingPlacements } from "./pending";
import { BoardSync } from "./sync";

/** The part of the browser WebSocket this module uses. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const SOCKET_OPEN = 1;
/** How often gaps and stale optimistic pixels are checked. */
const TICK_MS = 500;

export interface ConnectionDeps {
  wsUrl: string;
  createSocket(url: string): SocketLike;
  loadCanvas(): Promise<CanvasSnapshot>;
  /** true: the session is valid; false: 401 (show the name form). Throws when unreachable. */
  checkSession(): Promise<boolean>;
  /**
   * Optional: true when the server answers HTTP (a cheap request), false when it does not. Without
   * it, reconnecting relies on the backoff alone.
   */
  probe?(): Promise<boolean>;
  now?: () => number;
  random?: () => number;
}

/** Where the link is: `connecting` (first attempt), `live` (welcomed), `reconnecting`, `offline`. */
export type LinkState = "connecting" | "live" | "reconnecting" | "offline" | "stopped";

export type ConnectionEvent =
  | { type: "link"; state: LinkState; browserOffline: boolean; retryAt: number | null }
  | { type: "welcome"; message: WelcomeMessage }
  | { type: "board"; board: Board }
  | { type: "redraw" }
  | { type: "redis"; status: RedisStatus }
  | { type: "stats"; activeUsers: number; connections: number; scope: StatsScope }
  | { type: "users"; users: PublicUser[]; total: number }
  | { type: "cursors"; cursors: CursorEntry[]; gone: string[] }
  | { type: "cooldown"; until: number }
  | { type: "placed"; ref: string | null; seq: number }
  | { type: "rejected"; ref: string | null; code: RejectCode; message: string; retryAfterMs?: number }
  | { type: "lost"; count: number }
  | { type: "server_error"; code: string; message: string }
  | { type: "unauthorized" }
  /** Closed with 4003: the user is banned; the connection stopped for good. */
  | { type: "banned" }
  /** The server speaks another protocol than this page; the connection stopped. */
  | { type: "protocol_mismatch"; protocol: number };

export interface ConnectionListener {
  event(e: ConnectionEvent): void;
  /** The shown colour of pixel `index` may have changed. */
  pixel(index: number): void;
}

export type PlaceOutcome =
  | { ok: true; ref: string }
  | { ok: false; reason: "offline" | "invalid" | "busy" }
  | { ok: false; reason: "cooldown"; remainingMs: number };

/** Delay before reconnect attempt number `attempt` (0-based): exponential with "equal jitter". */
export function backoffDelay(attempt: number, random: number): number {
  const base = Math.min(CLIENT_RECONNECT_MAX_MS, CLIENT_RECONNECT_MIN_MS * 2 ** Math.min(attempt, 20));
  return Math.round(base / 2 + (random * base) / 2);
}

export class Connection {
  readonly sync = new BoardSync();
  readonly pending = new PendingPlacements();
  private readonly deps: ConnectionDeps;
  private readonly listener: ConnectionListener;
  private readonly now: () => number;
  private readonly random: () => number;

  private started = false;
  private socket: SocketLike | null = null;
  private welcomed = false;
  private attempts = 0;
  private gaveUp = false;
  private browserOffline = false;
  private retryAt: number | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private loadTimer: ReturnType<typeof setTimeout> | null = null;
  private loadAttempts = 0;
  private loadGen = 0;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  /** Placements made while the socket was connecting, sent after `welcome`. */
  private outbox: ClientMessage[] = [];
  private refCounter = 0;
  private readonly refPrefix: string;
  private cooldownMs = 0;
  private cooldownUntil = 0;
  private link: LinkState = "stopped";
  /** Server clock minus ours, from the last stamped presence frame (its error is the one-way delay). */
  private clockOffsetMs: number | null = null;
  private probeTimer: ReturnType<typeof setTimeout> | null = null;
  private probing = false;
  /** A probe found the server silent since the link was last up. */
  private serverSeenDown = false;
  /** Reconnects started because a probe saw the server answer again (tests, debugging). */
  probeReconnects = 0;
  user: PublicUser | null = null;
  redis: RedisStatus = "disabled";

  constructor(deps: ConnectionDeps, listener: ConnectionListener) {
    this.deps = deps;
    this.listener = listener;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.refPrefix = Math.floor(this.random() * 36 ** 4).toString(36);
  }

  get board(): Board | null {
    return this.sync.board;
  }

  /** Welcomed on an open socket. */
  get connected(): boolean {
    return this.welcomed && this.socket !== null;
  }

  get state(): LinkState {
    return this.link;
  }

  /** The colour a pixel shows: the optimistic one while pending, else the board's. */
  colorAt(index: number): number {
    const o = this.pending.colorAt(index);
    return o !== undefined ? o : (this.sync.board?.pixels[index] ?? 0);
  }

  /** Optimistic overrides (pixel index → pending placement), for the renderer. */
  overrides(): Iterable<[number, { color: number }]> {
    return this.pending.overrides();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    this.reload();
    this.openSocket();
  }

  stop(): void {
    this.started = false;
    this.loadGen++;
    for (const t of [this.reconnectTimer, this.loadTimer, this.probeTimer]) if (t !== null) clearTimeout(t);
    for (const t of [this.pingTimer, this.tickTimer]) if (t !== null) clearInterval(t);
    this.reconnectTimer = this.loadTimer = this.pingTimer = this.tickTimer = this.probeTimer = null;
    const s = this.socket;
    this.socket = null;
    this.welcomed = false;
    this.outbox = [];
    this.sync.disconnected();
    this.pending.dropUnacked();
    if (s) {
      detach(s);
      try {
        s.close(1000, "page closed");
      } catch {
        // already closing
      }
    }
    this.setLink("stopped");
  }

  /** The browser's online state changed (window online/offline events). */
  setBrowserOnline(online: boolean): void {
    this.browserOffline = !online;
    if (online && this.started && !this.socket) this.retryNow();
    else this.emitLink();
  }

  /** Reconnect at once (user pressed "retry", or the network came back). */
  retryNow(): void {
    if (!this.started || this.socket) return;
    this.attempts = 0;
    this.gaveUp = false;
    this.openSocket();
  }

  /** Drop the current socket as if the network had cut it (tests and debugging); reconnects as usual. */
  dropSocket(): void {
    const s = this.socket;
    if (!s) return;
    this.onClosed(s, 4000, true);
    try {
      s.close(4000, "dropped by client");
    } catch {
      // already closing
    }
  }

  /**
   * Replace the socket with a new one right away, keeping the board (the session cookie changed:
   * the new socket is the new user's). The usual welcome → sync path fills anything in between.
   */
  reconnect(): void {
    if (!this.started) return;
    this.dropSocket();
    this.retryNow();
  }

  /** Place a pixel: drawn optimistically, sent with a ref; the server's answer settles it. */
  place(x: number, y: number, color: number): PlaceOutcome {
    const board = this.sync.board;
    if (!board || !board.contains(x, y) || !Number.isInteger(color) || color < 0) return { ok: false, reason: "invalid" };
    // While the socket is still connecting the placement waits in the outbox for the welcome;
    // with no socket at all (waiting to reconnect) it is refused.
    if (!this.socket) return { ok: false, reason: "offline" };
    const remainingMs = this.cooldownUntil - this.now();
    if (remainingMs > 0) return { ok: false, reason: "cooldown", remainingMs };
    // One placement in flight at a time: a second one would only earn a cooldown reject.
    if (this.pending.unacked > 0) return { ok: false, reason: "busy" };
    const ref = `${this.refPrefix}-${++this.refCounter}`;
    const index = y * board.width + x;
    this.pending.add(ref, index, color, this.now());
    this.listener.pixel(index);
    const msg: ClientMessage = { type: "place", x, y, color, ref };
    if (this.connected) this.send(msg);
    else this.outbox.push(msg);
    return { ok: true, ref };
  }

  /**
   * Send a volatile message (`view`, `cursor`): only on a welcomed socket, never queued — after a
   * reconnect the page sends its current view again (it hears `welcome`).
   */
  sendVolatile(msg: Extract<ClientMessage, { type: "view" } | { type: "cursor" }>): boolean {
    if (!this.connected) return false;
    this.send(msg);
    return true;
  }

  // ------------------------------------------------------------------ snapshot

  private reload(): void {
    const gen = ++this.loadGen;
    if (this.loadTimer !== null) clearTimeout(this.loadTimer);
    this.loadTimer = null;
    this.sync.beginLoad();
    this.deps.loadCanvas().then(
      (snap) => {
        if (gen !== this.loadGen || !this.started) return;
        this.loadAttempts = 0;
        const { boardChanged, syncSince } = this.sync.finishLoad(snap.bytes, snap.seq, snap.width, snap.height);
        const board = this.sync.board!;
        if (boardChanged) {
          this.pending.clear();
          this.listener.event({ type: "board", board });
        } else {
          this.pending.afterLoad(board);
          this.listener.event({ type: "redraw" });
        }
        if (syncSince !== null && this.connected) this.send({ type: "sync", since: syncSince });
      },
      () => {
        if (gen !== this.loadGen || !this.started) return;
        const delay = backoffDelay(this.loadAttempts++, this.random());
        this.loadTimer = setTimeout(() => {
          this.loadTimer = null;
          if (gen === this.loadGen) this.reload();
        }, delay);
      },
    );
  }

  // ------------------------------------------------------------------ socket

  private openSocket(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.retryAt = null;
    if (!this.started || this.socket) return;
    let s: SocketLike;
    try {
      s = this.deps.createSocket(this.deps.wsUrl);
    } catch {
      this.socket = null;
      this.scheduleReconnect(0);
      return;
    }
    this.socket = s;
    this.welcomed = false;
    let opened = false;
    s.binaryType = "arraybuffer";
    s.onopen = () => {
      opened = true;
      this.lastFrameAt = this.now();
      if (this.pingTimer !== null) clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.ping(), CLIENT_PING_INTERVAL_MS);
    };
    s.onmessage = (ev) => {
      if (this.socket !== s) return;
      this.lastFrameAt = this.now();
      const data = ev.data;
      if (typeof data === "string") this.onText(data);
      else if (data instanceof ArrayBuffer) this.onBinary(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) this.onBinary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    };
    s.onclose = (ev) => this.onClosed(s, ev.code, opened);
    s.onerror = () => {
      // A close event always follows; it carries the decision.
    };
    this.emitLink();
  }

  private onClosed(s: SocketLike, code: number, opened: boolean): void {
    if (this.socket !== s) return;
    detach(s);
    this.socket = null;
    this.welcomed = false;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.sync.disconnected();
    this.outbox = [];
    const lost = this.pending.dropUnacked();
    for (const i of lost.indices) this.listener.pixel(i);
    if (lost.count > 0) this.listener.event({ type: "lost", count: lost.count });
    if (!this.started) return;

    if (code === CloseCodes.banned) {
      // Banned (SPEC §12): reconnecting would only be refused again.
      this.listener.event({ type: "banned" });
      this.stop();
      return;
    }
    if (!opened) {
      // The upgrade failed. A 401 is invisible to WebSocket code, so ask the session endpoint.
      this.setLink("reconnecting");
      this.deps.checkSession().then(
        (valid) => {
          if (!this.started || this.socket) return;
          if (!valid) {
            this.listener.event({ type: "unauthorized" });
            this.stop();
            return;
          }
          this.scheduleReconnect(backoffDelay(this.attempts++, this.random()));
        },
        () => {
          if (this.started && !this.socket) this.scheduleReconnect(backoffDelay(this.attempts++, this.random()));
        },
      );
      return;
    }
    if (code === CloseCodes.goingAway) {
      // The replica is shutting down; spread the crowd's reconnects over a short window.
      this.attempts = 0;
      this.scheduleReconnect(Math.round(this.random() * CLIENT_RECONNECT_MIN_MS));
    } else if (code === CloseCodes.policyViolation) {
      this.scheduleReconnect(ABUSE_RECONNECT_MS + Math.round(this.random() * CLIENT_RECONNECT_MAX_MS));
    } else {
      this.scheduleReconnect(backoffDelay(this.attempts++, this.random()));
    }
  }

  private scheduleReconnect(delayMs: number): void {
    if (!this.started) return;
    this.scheduleProbe();
    if (this.attempts > MAX_RECONNECT_ATTEMPTS) {
      this.gaveUp = true;
      this.retryAt = null;
      this.emitLink();
      return;
    }
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.retryAt = this.now() + delayMs;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.browserOffline) {
        // Wait for the `online` event instead of burning attempts.
        this.retryAt = null;
        this.emitLink();
        return;
      }
      this.openSocket();
    }, delayMs);
    this.emitLink();
  }

  /** Keep probing the server while there is no socket (one probe at a time). */
  private scheduleProbe(): void {
    if (!this.deps.probe || !this.started || this.socket || this.probeTimer !== null || this.probing) return;
    const delay = RECONNECT_PROBE_MS + Math.round(this.random() * RECONNECT_PROBE_JITTER_MS);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      this.runProbe();
    }, delay);
  }

  private runProbe(): void {
    const probe = this.deps.probe;
    if (!probe || !this.started || this.socket) return;
    // The browser says it has no network: the `online` event will bring us back, not a probe.
    if (this.browserOffline) return this.scheduleProbe();
    this.probing = true;
    const answered = (up: boolean) => {
      this.probing = false;
      if (!this.started || this.socket) return;
      if (!up) {
        this.serverSeenDown = true;
      } else if (this.serverSeenDown || this.gaveUp) {
        // The server is back: reconnect now. (A server that answers HTTP but refuses the socket
        // never trips this, so it cannot turn into a reconnect loop.)
        this.serverSeenDown = false;
        this.probeReconnects++;
        this.retryNow();
        return;
      }
      this.scheduleProbe();
    };
    probe().then(answered, () => answered(false));
  }

  private ping(): void {
    if (!this.socket) return;
    if (this.now() - this.lastFrameAt > SILENT_SOCKET_MS) {
      // Half-open socket: close() could wait forever for the handshake, so let go of it now.
      this.dropSocket();
      return;
    }
    this.send({ type: "ping" });
  }

  private tick(): void {
    const now = this.now();
    if (this.connected) {
      const since = this.sync.checkGap(now);
      if (since !== null) this.send({ type: "sync", since });
    }
    if (this.pending.size > 0) {
      const expired = this.pending.expire(now, PENDING_PLACE_TIMEOUT_MS);
      for (const i of expired.indices) this.listener.pixel(i);
      if (expired.unacked > 0) this.listener.event({ type: "lost", count: expired.unacked });
    }
  }

  private send(msg: ClientMessage): void {
    const s = this.socket;
    if (!s || s.readyState !== SOCKET_OPEN) return;
    s.send(JSON.stringify(msg));
  }

  // ------------------------------------------------------------------ inbound

  private onBinary(frame: Uint8Array): void {
    this.sync.receive(frame, (index, seq) => {
      this.pending.onRecord(index, seq);
      this.listener.pixel(index);
    });
  }

  private onText(text: string): void {
    const msg = parseServerMessage(text);
    if (msg) this.handle(msg);
  }

  private handle(msg: ServerMessage): void {
    switch (msg.type) {
      case "welcome":
        this.onWelcome(msg);
        return;
      case "ack": {
        const ended = this.pending.ack(msg.ref, msg.seq, this.sync.board);
        if (ended !== null) this.listener.pixel(ended);
        // Measured on our own clock: the server's cooldownUntil is on its clock, and the commit
        // happened before this ack arrived, so this estimate is never early.
        this.setCooldown(this.now() + this.cooldownMs);
        this.listener.event({ type: "placed", ref: msg.ref, seq: msg.seq });
        return;
      }
      case "reject": {
        const ended = this.pending.reject(msg.ref);
        if (ended !== null) this.listener.pixel(ended);
        if (msg.code === "cooldown" && typeof msg.retryAfterMs === "number") {
          this.setCooldown(this.now() + msg.retryAfterMs);
        }
        this.listener.event({ type: "rejected", ref: msg.ref ?? null, code: msg.code, message: msg.message, retryAfterMs: msg.retryAfterMs });
        return;
      }
      case "stats":
        this.noteServerTime(msg.timestamp);
        this.listener.event({ type: "stats", activeUsers: msg.activeUsers, connections: msg.connections, scope: msg.scope });
        return;
      case "user_list": {
        this.noteServerTime(msg.timestamp);
        const users = Array.isArray(msg.users) ? msg.users.filter((u) => typeof u?.id === "string" && typeof u?.name === "string") : [];
        this.listener.event({ type: "users", users, total: typeof msg.total === "number" ? msg.total : users.length });
        return;
      }
      case "cursors":
        this.listener.event({
          type: "cursors",
          cursors: Array.isArray(msg.cursors) ? msg.cursors : [],
          gone: Array.isArray(msg.gone) ? msg.gone.filter((g) => typeof g === "string") : [],
        });
        return;
      case "cooldown":
        // Another tab of ours (or this one) placed: count down at once (SPEC §11).
        if (typeof msg.cooldownUntil === "number") this.onCooldown(msg.cooldownUntil);
        return;
      case "status":
        this.redis = msg.redis;
        this.listener.event({ type: "redis", status: msg.redis });
        this.emitLink();
        return;
      case "resync":
        this.sync.resync(msg.seq);
        this.reload();
        return;
      case "pong":
        return;
      case "error":
        this.listener.event({ type: "server_error", code: msg.code, message: msg.message });
        return;
      default: {
        const unknown: never = msg;
        void unknown; // A newer server may add types; ignoring them keeps old pages working.
      }
    }
  }

  private onWelcome(msg: WelcomeMessage): void {
    this.welcomed = true;
    this.attempts = 0;
    this.gaveUp = false;
    this.serverSeenDown = false;
    this.user = msg.user;
    this.redis = msg.redis;
    this.cooldownMs = msg.cooldownMs;
    if (msg.protocol !== PROTOCOL_VERSION) {
      // Messages of another protocol would be misread: stop here and let the page reload.
      this.listener.event({ type: "protocol_mismatch", protocol: msg.protocol });
      this.stop();
      return;
    }
    // The server's clock may differ from ours; never believe in more than one full cooldown.
    const left = Math.max(0, Math.min(msg.cooldownMs, msg.cooldownUntil - this.now()));
    this.setCooldown(left > 0 ? this.now() + left : 0);
    this.listener.event({ type: "welcome", message: msg });
    const board = this.sync.board;
    if (board && (board.width !== msg.width || board.height !== msg.height)) {
      // The board was resized while we were away: start over from a fresh snapshot.
      this.sync.welcome(msg.seq);
      this.reload();
    } else {
      const since = this.sync.welcome(msg.seq);
      if (since !== null) this.send({ type: "sync", since });
    }
    const queued = this.outbox;
    this.outbox = [];
    for (const m of queued) this.send(m);
    this.emitLink();
  }

  private noteServerTime(timestamp: unknown): void {
    if (typeof timestamp === "number" && Number.isFinite(timestamp)) this.clockOffsetMs = timestamp - this.now();
  }

  /**
   * A placement of ours was committed; its cooldown ends at `serverUntil` on the server's clock.
   * Translated with the clock offset seen in presence frames (which errs late, by the one-way
   * delay, never early) and never more than one cooldown from now.
   */
  private onCooldown(serverUntil: number): void {
    const now = this.now();
    const left = this.clockOffsetMs === null ? this.cooldownMs : serverUntil - (now + this.clockOffsetMs);
    const ms = Math.max(0, Math.min(this.cooldownMs, left));
    // Never shorten a countdown this tab already knows of (its own ack, measured locally).
    if (now + ms > this.cooldownUntil) this.setCooldown(now + ms);
  }

  private setCooldown(until: number): void {
    this.cooldownUntil = until;
    this.listener.event({ type: "cooldown", until });
  }

  private setLink(state: LinkState): void {
    this.link = state;
    this.listener.event({ type: "link", state, browserOffline: this.browserOffline, retryAt: this.retryAt });
  }

  private emitLink(): void {
    if (!this.started) return this.setLink("stopped");
    if (this.connected) return this.setLink("live");
    if (this.gaveUp || this.browserOffline) return this.setLink("offline");
    this.setLink(this.link === "connecting" || this.link === "stopped" ? "connecting" : "reconnecting");
  }
}

function detach(s: SocketLike): void {
  s.onopen = s.onmessage = s.onerror = null;
  s.onclose = null;
}
