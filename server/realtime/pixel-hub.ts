// The replica's live board and its fan-out to local clients.
//
// Every committed placement enters here once — from this replica's canvas service, from other
// replicas (Redis), or from a catch-up read of the database — and is applied to the board
// (last writer wins by seq, duplicates dropped). New records are coalesced and sent to every local
// client as one PIXELS frame, encoded once; the sockets' own buffers absorb slow readers, and the
// gateway drops a client whose buffer grows past its bound.
//
// Ticks are a throttle with a leading edge: a frame goes out at most once per tick (or sooner when
// it is full). Records arriving when the last frame is older than a tick go out at once (after the
// current event-loop turn, so one commit group or one Redis message still makes one frame); records
// arriving sooner wait for the end of the tick. The cost of a frame is per client (one write each),
// so the frame rate, not the placement rate, is what a replica's CPU pays for: at most
// 1000 / FANOUT_TICK_MS frames per second per client, however many placements they carry.

import { Board } from "../../lib/canvas";
import { FANOUT_MAX_RECORDS_PER_FRAME, FANOUT_TICK_MS, MAX_REPLAY_RECORDS, REPLAY_RING_RECORDS } from "../../lib/limits";
import { encodePixels, type PixelRecord } from "../../lib/protocol";
import { ReplayRing } from "./replay-ring";

/** Where the hub sends encoded PIXELS frames: one per local client. */
export interface PixelSink {
  sendPixels(frame: Uint8Array): void;
}

export interface HubOptions {
  tickMs?: number;
  maxRecordsPerFrame?: number;
  ringRecords?: number;
  maxReplayRecords?: number;
}

export class PixelHub {
  readonly board: Board;
  private readonly ring: ReplayRing;
  private readonly sinks = new Set<PixelSink>();
  private pending: PixelRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  /** performance.now() of the last frame sent (−∞ before the first). */
  private lastFlush = -Infinity;
  private readonly tickMs: number;
  private readonly maxRecords: number;
  private readonly maxReplay: number;
  /** Counters for /api/stats and /metrics. */
  readonly counters = { framesSent: 0, recordsSent: 0 };
  /** When the oldest record of the pending tick arrived (performance.now()), for the latency metric. */
  private pendingSince = 0;
  /** Observer of each flushed tick: records sent and how long the oldest of them waited (ms). */
  onFlush: (records: number, waitedMs: number) => void = () => {};

  constructor(width: number, height: number, opts: HubOptions = {}) {
    this.board = new Board(width, height);
    this.ring = new ReplayRing(opts.ringRecords ?? REPLAY_RING_RECORDS);
    this.tickMs = opts.tickMs ?? FANOUT_TICK_MS;
    this.maxRecords = opts.maxRecordsPerFrame ?? FANOUT_MAX_RECORDS_PER_FRAME;
    this.maxReplay = opts.maxReplayRecords ?? MAX_REPLAY_RECORDS;
  }

  addSink(sink: PixelSink): void {
    this.sinks.add(sink);
  }

  removeSink(sink: PixelSink): void {
    this.sinks.delete(sink);
  }

  get sinkCount(): number {
    return this.sinks.size;
  }

  /**
   * Apply placements (committed here, from another replica, or read from the database) and deliver
   * the new ones to local clients. `onFresh` sees each record that was new. Returns how many were new.
   */
  ingest<R extends PixelRecord>(records: readonly R[], onFresh?: (r: R) => void): number {
    let fresh = 0;
    for (const r of records) {
      if (!this.board.apply(r.seq, r.x, r.y, r.color)) continue;
      this.ring.put(r.seq, r.x, r.y, r.color);
      onFresh?.(r);
      if (this.pending.length === 0) this.pendingSince = performance.now();
      this.pending.push({ seq: r.seq, x: r.x, y: r.y, color: r.color });
      fresh++;
      if (this.pending.length >= this.maxRecords) this.flush();
    }
    if (this.pending.length > 0) this.schedule();
    return fresh;
  }

  /** Start from a board image that includes every placement with seq ≤ `seq` (a snapshot plus its tail). */
  load(pixels: Uint8Array, seq: number): void {
    this.board.load(pixels, seq);
  }

  /** Remember a placement already in the loaded image, so `sync` can replay it without the database. */
  remember(r: PixelRecord): void {
    this.ring.put(r.seq, r.x, r.y, r.color);
  }

  /**
   * Records a client needs after `since` (its last known seq), including any applied above the
   * board's watermark; null when `since` is too old to replay and the client must reload the board.
   */
  replay(since: number): PixelRecord[] | null {
    const upTo = this.board.maxSeq;
    if (since >= upTo) return [];
    if (upTo - since > this.maxReplay || !this.ring.covers(since, upTo)) return null;
    return this.ring.range(since, upTo);
  }

  /** Send records to one client as PIXELS frames of bounded size. */
  static sendChunked(sink: PixelSink, records: readonly PixelRecord[], perFrame = FANOUT_MAX_RECORDS_PER_FRAME): void {
    for (let i = 0; i < records.length; i += perFrame) {
      sink.sendPixels(encodePixels(records.slice(i, i + perFrame)));
    }
  }

  /** Arrange the next frame: right after this turn when the last one is a tick old, else at the tick's end. */
  private schedule(): void {
    if (this.timer !== null || this.immediate !== null) return;
    const wait = this.lastFlush + this.tickMs - performance.now();
    if (wait <= 0) this.immediate = setImmediate(() => this.flush());
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Send the pending records now: one frame, encoded once, to every local client. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.immediate !== null) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    if (this.pending.length === 0) return;
    this.lastFlush = performance.now();
    const frame = encodePixels(this.pending);
    this.counters.framesSent++;
    this.counters.recordsSent += this.pending.length;
    const sent = this.pending.length;
    this.pending = [];
    for (const sink of this.sinks) sink.sendPixels(frame);
    this.onFlush(sent, performance.now() - this.pendingSince);
  }

  close(): void {
    this.flush();
    this.sinks.clear();
  }
}
