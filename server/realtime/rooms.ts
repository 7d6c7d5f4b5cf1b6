// Which boards this replica holds in memory (SPEC §9). A board is loaded when its first follower
// arrives — subscribed to its channels first, then read from its newest snapshot plus the tail, so
// nothing committed in between is missed — and dropped ROOM_LINGER_MS after its last follower left
// (channels unsubscribed, memory freed). `main` is always held. An HTTP read of a board nobody
// follows here gets a detached copy read from the database — no subscription, nothing held beyond a
// short cache (ROOM_READ_CACHE_MS) — so a replica follows a board exactly while it has clients there.
//
// Rooms is also where committed placements meet the replica: the local room (if loaded) gets them
// at once and the other replicas through the pixel channel.

import { MAIN_BOARD, type PixelRecord } from "../../lib/protocol";
import { ROOM_LINGER_MS, ROOM_READ_CACHE_BOARDS, ROOM_READ_CACHE_MS } from "../../lib/limits";
import type { BoardDirectory } from "../canvas/boards";
import type { CommittedPlacement, PlacementSink } from "../canvas/canvas-service";
import type { BoardRow, Storage } from "../canvas/store";
import type { PixelChannel, RemoteRecord } from "../cluster/pixel-channel";
import type { Logger } from "../logger";
import { type CatchUpCounters, Convergence, type ConvergenceMode } from "./convergence";
import type { HubOptions } from "./pixel-hub";
import { Room, type RoomRecord } from "./room";

/** Reads a board image: newest snapshot plus tail; `onTail` sees the tail's placements in seq order. */
export type BoardLoader = (
  boardId: string,
  width: number,
  height: number,
  onTail: (p: PixelRecord) => void,
) => Promise<{ pixels: Uint8Array; seq: number }>;

/** Told when a held board's seq advanced (the snapshot writer decides whether a snapshot is due). */
export interface SeqObserver {
  noteSeq(boardId: string, seq: number): void;
}

/** Something else that follows a board's channels while it is held (presence notices, cursors). */
export type BoardFollow = (board: BoardRow) => Promise<() => Promise<void>>;

export interface RoomsDeps {
  storage: Storage;
  boards: BoardDirectory;
  loadBoard: BoardLoader;
  /** Null in single-instance mode. */
  pixels: PixelChannel | null;
  /** Subscribed before the board is read, unsubscribed when it is dropped. */
  follows: BoardFollow[];
  snapshots: SeqObserver;
  log: Logger;
  hub?: HubOptions;
  /** Tests shorten how long an unfollowed board stays (ROOM_LINGER_MS). */
  lingerMs?: number;
}

interface Held {
  room: Room;
  followers: number;
  dropTimer: NodeJS.Timeout | null;
  convergence: Convergence;
  /** Stop following the board's channels. */
  unfollow: Array<() => Promise<void>>;
}

export class Rooms implements PlacementSink {
  private readonly held = new Map<string, Held>();
  private readonly loading = new Map<string, Promise<Held | null>>();
  /** Detached copies of boards not followed here, for HTTP reads (oldest first). */
  private readonly detached = new Map<string, { room: Room; at: number }>();
  private readonly reading = new Map<string, Promise<Room>>();
  private mode: ConvergenceMode;
  private closed = false;
  readonly catchUp: CatchUpCounters = { runs: 0, recovered: 0, failures: 0, lastRunMs: 0 };
  /** Frames and records sent by rooms already dropped (so the replica's totals never go down). */
  private readonly sentByDropped = { framesSent: 0, recordsSent: 0 };

  constructor(private readonly d: RoomsDeps) {
    this.mode = d.pixels ? "redis-down" : "single";
  }

  /** Load `main` (start-up): it is held for the life of the replica. */
  async start(): Promise<Room> {
    const main = await this.acquire(MAIN_BOARD);
    if (!main) throw new Error("board main is missing");
    return main;
  }

  /** Follow a board: load it if needed. Null when there is no such board; rejects when the database is down. */
  async acquire(id: string): Promise<Room | null> {
    const h = await this.hold(id);
    if (!h) return null;
    h.followers++;
    this.cancelDrop(h);
    return h.room;
  }

  /** Stop following; the board is dropped after ROOM_LINGER_MS without followers or leases. */
  release(room: Room): void {
    const h = this.held.get(room.id);
    if (!h || h.room !== room) return;
    h.followers = Math.max(0, h.followers - 1);
    this.scheduleDrop(h);
  }

  /**
   * The board for an HTTP read: the held room when this replica follows the board, else a detached
   * copy read from the database (newest snapshot plus tail), shared by reads for ROOM_READ_CACHE_MS
   * and never subscribed to anything. Null when there is no such board.
   */
  async forRead(id: string): Promise<Room | null> {
    const h = this.held.get(id);
    if (h) return h.room;
    const cached = this.detached.get(id);
    if (cached && performance.now() - cached.at < ROOM_READ_CACHE_MS) return cached.room;
    const meta = await this.d.boards.get(id);
    if (!meta) return null;
    let pending = this.reading.get(id);
    if (!pending) {
      pending = (async () => {
        const room = new Room(meta, this.d.hub);
        const image = await this.d.loadBoard(id, meta.width, meta.height, () => {});
        room.hub.load(image.pixels, image.seq);
        this.detached.delete(id);
        this.detached.set(id, { room, at: performance.now() });
        if (this.detached.size > ROOM_READ_CACHE_BOARDS) this.detached.delete(this.detached.keys().next().value as string);
        return room;
      })().finally(() => this.reading.delete(id));
      this.reading.set(id, pending);
    }
    return pending;
  }

  /** A held room, if this replica holds the board now. */
  get(id: string): Room | undefined {
    return this.held.get(id)?.room;
  }

  /** Every held room. */
  all(): Room[] {
    return [...this.held.values()].map((h) => h.room);
  }

  /** PIXELS frames and records this replica has sent, over every room it ever held. */
  get sent(): { framesSent: number; recordsSent: number } {
    const total = { ...this.sentByDropped };
    for (const h of this.held.values()) {
      total.framesSent += h.room.hub.counters.framesSent;
      total.recordsSent += h.room.hub.counters.recordsSent;
    }
    return total;
  }

  /** Ids of the boards held (tests, /api/stats). */
  get heldIds(): string[] {
    return [...this.held.keys()];
  }

  // ---------------------------------------------------------------- placements

  /** Placements committed by this replica: to the local room at once, and to the other replicas. */
  committed(boardId: string, records: readonly CommittedPlacement[]): void {
    const h = this.held.get(boardId);
    if (h) this.ingest(h, records);
    this.d.pixels?.publish(boardId, records);
  }

  /** Ask every held board (or one) to read the database for what it missed. */
  catchUpNow(boardId?: string): void {
    for (const [id, h] of this.held) if (!boardId || id === boardId) void h.convergence.request();
  }

  /** Redis came or went: poll the database while it is away, and catch up at once when it is back. */
  setRedisUp(up: boolean): void {
    this.mode = up ? "redis-up" : "redis-down";
    for (const h of this.held.values()) {
      h.convergence.setMode(this.mode);
      if (up) void h.convergence.request();
    }
  }

  private ingest(h: Held, records: readonly RoomRecord[]): void {
    const before = h.room.seq;
    h.room.ingest(records);
    if (h.room.seq !== before) this.d.snapshots.noteSeq(h.room.id, h.room.seq);
  }

  // ---------------------------------------------------------------- loading and dropping

  private async hold(id: string): Promise<Held | null> {
    if (this.closed) throw new Error("shutting down");
    const h = this.held.get(id);
    if (h) return h;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.load(id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async load(id: string): Promise<Held | null> {
    const meta = await this.d.boards.get(id);
    if (!meta) return null;
    const started = performance.now();
    const room = new Room(meta, this.d.hub);
    // Subscribe before reading, so everything committed after the read is received; what arrives
    // while the board is read waits and is applied after it (the board dedups by seq).
    let buffered: RemoteRecord[] | null = [];
    let held: Held | null = null;
    const onRemote = (records: RemoteRecord[]) => {
      if (buffered) buffered.push(...records);
      else if (held) {
        this.ingest(held, records);
        held.convergence.watchGap();
      }
    };
    const unfollow: Array<() => Promise<void>> = [];
    try {
      if (this.d.pixels) unfollow.push(await this.d.pixels.follow(id, meta, onRemote));
      for (const follow of this.d.follows) unfollow.push(await follow(meta));
      const image = await this.d.loadBoard(id, meta.width, meta.height, (p) => room.hub.remember(p));
      room.hub.load(image.pixels, image.seq);
    } catch (err) {
      await Promise.allSettled(unfollow.map((u) => u()));
      throw err;
    }
    const convergence = new Convergence(this.d.storage, room, this.d.log, this.catchUp);
    held = { room, followers: 0, dropTimer: null, convergence, unfollow };
    this.detached.delete(id);
    this.held.set(id, held);
    const early = buffered;
    buffered = null;
    this.ingest(held, early);
    convergence.setMode(this.mode);
    // Whatever was committed between the read and the subscription's first message.
    void convergence.request();
    this.d.snapshots.noteSeq(id, room.seq);
    this.d.log.info({ board: id, seq: room.seq, ms: Math.round(performance.now() - started) }, "board loaded");
    if (id !== MAIN_BOARD) this.scheduleDrop(held);
    return held;
  }

  private cancelDrop(h: Held): void {
    if (h.dropTimer) clearTimeout(h.dropTimer);
    h.dropTimer = null;
  }

  private scheduleDrop(h: Held): void {
    if (h.room.id === MAIN_BOARD || h.followers > 0 || this.closed) return;
    this.cancelDrop(h);
    h.dropTimer = setTimeout(() => {
      h.dropTimer = null;
      if (h.followers === 0) void this.drop(h);
    }, this.d.lingerMs ?? ROOM_LINGER_MS);
    h.dropTimer.unref();
  }

  private async drop(h: Held, why = "no followers here"): Promise<void> {
    if (this.held.get(h.room.id) !== h) return;
    this.held.delete(h.room.id);
    h.room.close();
    this.sentByDropped.framesSent += h.room.hub.counters.framesSent;
    this.sentByDropped.recordsSent += h.room.hub.counters.recordsSent;
    await h.convergence.stop();
    await Promise.allSettled(h.unfollow.map((u) => u()));
    this.d.log.info({ board: h.room.id }, `board dropped: ${why}`);
  }

  /** Flush every room's pending frame (graceful shutdown, after the last commits). */
  flush(): void {
    for (const h of this.held.values()) h.room.hub.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.loading.values());
    const all = [...this.held.values()];
    for (const h of all) this.cancelDrop(h);
    await Promise.all(all.map((h) => this.drop(h, "shutting down")));
  }
}
