// A simulated browser for fault runs: starts from GET /api/canvas, applies PIXELS records to its own
// Board, reconnects (to the next replica) with `sync` after losing its socket, reloads on `resync`,
// and places pixels at its own pace, recording every ack and every Redis status it is told (the
// page's badge: `live` while Redis is up, `degraded` while down). Every random choice (where, which colour,
// how long to wait) comes from the seeded stream it is given, so a failing run can be replayed.

import WebSocket from "ws";
import { Board } from "../../lib/canvas";
import { decodePixels, MAIN_BOARD, parseServerMessage, PROTOCOL_VERSION, type RedisStatus, type ServerMessage } from "../../lib/protocol";
import { randInt } from "../prng";
import type { AckedPlacement } from "./checks";

export interface SimReplica {
  id: string;
  url: string;
}

/**
 * A placement unanswered this long is reported (the run goes on placing; a late answer still
 * counts). Far above any ack latency, even on two shared busy cores.
 */
const ANSWER_DEADLINE_MS = 10_000;

interface Pending {
  x: number;
  y: number;
  color: number;
  sentAt: number;
  replica: string;
  resolve: (m: ServerMessage | null) => void;
}

export class SimClient {
  board: Board;
  startSeq = 0;
  stayedConnected = true;
  readonly acked: AckedPlacement[] = [];
  readonly rejects: Record<string, number> = {};
  /** Redis status as the server told it: `welcome.redis`, then every `status` message, with arrival times. */
  readonly redisStatus: Array<{ redis: RedisStatus; at: number }> = [];
  /** Protocol expectations the server broke (SPEC §4, revision 2); a run fails when any is here. */
  readonly problems: string[] = [];
  private ws: WebSocket | null = null;
  private replica = 0;
  private running = true;
  private loading: Promise<void> | null = null;
  private refs = 0;
  private readonly pending = new Map<string, Pending>();
  private welcomed = false;

  constructor(
    readonly name: string,
    readonly userId: string,
    private readonly cookie: string,
    private readonly replicas: () => readonly SimReplica[],
    firstReplica: number,
    width: number,
    height: number,
    /** This client's own seeded stream (test/prng.ts forkPrng). */
    private readonly rand: () => number,
  ) {
    this.board = new Board(width, height);
    this.replica = firstReplica;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN && this.welcomed;
  }

  private get current(): SimReplica {
    const list = this.replicas();
    return list[this.replica % list.length];
  }

  async start(): Promise<void> {
    await this.loadSnapshot();
    this.startSeq = this.board.seq;
    await this.connect();
  }

  private async loadSnapshot(): Promise<void> {
    const res = await fetch(`${this.current.url}/api/canvas`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    this.board.load(bytes, Number(res.headers.get("x-canvas-seq")));
  }

  private connect(): Promise<void> {
    return new Promise((resolve) => {
      const target = this.current;
      const ws = new WebSocket(target.url.replace(/^http/, "ws") + "/ws", { headers: { cookie: this.cookie } });
      this.ws = ws;
      this.welcomed = false;
      let settled = false;
      const done = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      ws.on("message", (data, isBinary) => {
        if (isBinary) {
          const frame = new Uint8Array(data as Buffer);
          decodePixels(frame, (seq, x, y, color) => this.board.apply(seq, x, y, color));
          return;
        }
        const msg = parseServerMessage(data.toString());
        if (!msg) return;
        this.onMessage(msg, target);
        if (msg.type === "welcome") done();
      });
      ws.on("error", () => {});
      ws.on("close", () => {
        this.welcomed = false;
        for (const p of this.pending.values()) p.resolve(null); // outcome unknown: not counted as acked
        this.pending.clear();
        done();
        if (!this.running) return;
        this.stayedConnected = false;
        this.replica++; // try another replica next
        setTimeout(() => void this.connect(), 100 + this.rand() * 400);
      });
    });
  }

  private onMessage(msg: ServerMessage, target: SimReplica): void {
    switch (msg.type) {
      case "welcome":
        this.welcomed = true;
        this.redisStatus.push({ redis: msg.redis, at: Date.now() });
        this.checkWelcome(msg, target);
        if (msg.seq > this.board.seq) this.send({ type: "sync", since: this.board.seq });
        break;
      case "resync":
        this.loading ??= this.loadSnapshot()
          .then(() => this.send({ type: "sync", since: this.board.seq }))
          .finally(() => (this.loading = null));
        break;
      case "status":
        this.redisStatus.push({ redis: msg.redis, at: Date.now() });
        break;
      case "ack":
      case "reject": {
        const p = msg.ref ? this.pending.get(msg.ref) : undefined;
        if (!p || !msg.ref) break;
        this.pending.delete(msg.ref);
        if (msg.type === "ack") {
          this.acked.push({ seq: msg.seq, x: p.x, y: p.y, color: p.color, userId: this.userId, replica: target.id, at: Date.now() });
        } else {
          this.rejects[msg.code] = (this.rejects[msg.code] ?? 0) + 1;
        }
        p.resolve(msg);
        break;
      }
      default:
        break;
    }
  }

  private checkWelcome(msg: Extract<ServerMessage, { type: "welcome" }>, target: SimReplica): void {
    const where = `${this.name} on ${target.id}`;
    if (msg.protocol !== PROTOCOL_VERSION) this.problems.push(`${where}: welcome.protocol ${msg.protocol}, expected ${PROTOCOL_VERSION}`);
    if (msg.board?.id !== MAIN_BOARD) this.problems.push(`${where}: welcome.board.id ${JSON.stringify(msg.board?.id)} on /ws without a board`);
    if (msg.width !== this.board.width || msg.height !== this.board.height) {
      this.problems.push(`${where}: welcome says ${msg.width}×${msg.height}, the board is ${this.board.width}×${this.board.height}`);
    }
    if (msg.user?.id !== this.userId) this.problems.push(`${where}: welcome.user.id ${JSON.stringify(msg.user?.id)} is not the session's user`);
    if (msg.instanceId !== target.id) this.problems.push(`${where}: welcome.instanceId ${msg.instanceId}`);
  }

  /**
   * When this client was told Redis is up again after `since`, having been told it was down after
   * `since` (its badge back to `live` after a `degraded`); null when it was not told both.
   */
  liveAgainAfter(since: number): number | null {
    const after = this.redisStatus.filter((s) => s.at >= since);
    const down = after.findIndex((s) => s.redis === "down");
    if (down < 0) return null;
    return after.slice(down + 1).find((s) => s.redis === "up")?.at ?? null;
  }

  private send(obj: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  /** Place one pixel; resolves with the ack/reject, or null when the connection dropped first. */
  place(x: number, y: number, color: number): Promise<ServerMessage | null> {
    if (!this.connected) return Promise.resolve(null);
    const ref = `${this.name}-${++this.refs}`;
    return new Promise((resolve) => {
      this.pending.set(ref, { x, y, color, sentAt: Date.now(), replica: this.current.id, resolve });
      this.send({ type: "place", x, y, color, ref });
    });
  }

  /** Place random pixels every `intervalMs` until stopped. */
  async run(intervalMs: number, stop: () => boolean): Promise<void> {
    while (!stop()) {
      if (this.connected) {
        const placed = this.place(randInt(this.rand, this.board.width), randInt(this.rand, this.board.height), randInt(this.rand, 32));
        let timer: NodeJS.Timeout | undefined;
        const late = await Promise.race([placed.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), ANSWER_DEADLINE_MS)))]);
        clearTimeout(timer);
        if (late) this.problems.push(`${this.name}: a placement on ${this.current.id} unanswered after ${ANSWER_DEADLINE_MS} ms (connection open: ${this.connected})`);
      }
      await new Promise((r) => setTimeout(r, intervalMs * (0.75 + this.rand() * 0.5)));
    }
  }

  /** Placements sent on the open connection and not answered yet: where, and since when. */
  unanswered(): Array<{ replica: string; sentAt: number }> {
    return [...this.pending.values()].map((p) => ({ replica: p.replica, sentAt: p.sentAt }));
  }

  close(): void {
    this.running = false;
    this.ws?.close();
  }
}
