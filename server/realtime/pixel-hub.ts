// The replica's live board and its fan-out to local clients.
//
// Every committed placement enters here once — from this replica's canvas service, from other
// replicas (Redis), or from a catch-up read of the database — and is applied to the board
// (last writer wins by seq, duplicates dropped). New records are coalesced and sent to every local
// client as one PIXELS frame, encoded once; the sockets' own buffers absorb slow readers, and the
// gateway drops a client whose buffer grows past its bound.
//
// The tick adapts to what a frame costs. A frame costs one write per client, so the frame rate, not
// the placement rate, is what a replica's CPU pays for. Each flush is timed; the next frame may go
// out once the hub has been idle for as long as that flush took (FANOUT_BUSY_SHARE of the event
// loop at most), but no sooner than FANOUT_MIN_GAP_MS and never later than FANOUT_TICK_MS after
// the last. So records go out right after the current event-loop turn while frames are cheap — a
// quiet board or a small room: latency is the commit plus one write — and batch up, to at most
// 1000 / FANOUT_TICK_MS frames per second per client, only as the room grows busy or large.
// Records arriving after a quiet spell always go out at once (one commit group or one Redis message
// still makes one frame: the flush waits for the end of the current turn).

import { Board } from "../../lib/canvas";
import {
  FANOUT_BUSY_SHARE,
  FANOUT_MAX_RECORDS_PER_FRAME,
  FANOUT_MAX_WRITES_PER_S,
  FANOUT_MIN_GAP_MS,
  FANOUT_TICK_MS,
  MAX_REPLAY_RECORDS,
  REPLAY_RING_RECORDS,
} from "../../lib/limits";
import { encodePixels, type PixelRecord } from "../../lib/protocol";
import { ReplayRing } from "./replay-ring";

/** Where the hub sends encoded PIXELS frames: one per local client. */
export interface PixelSink {
  sendPixels(frame: Uint8Array): void;
}

export interface HubOptions {
  /** Longest wait between frames (FANOUT_TICK_MS). */
  tickMs?: number;
  /** Shortest gap between frames (FANOUT_MIN_GAP_MS). */
  minGapMs?: number;
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
  /** performance.now() when the last frame had been written to every client (−∞ before the first). */
  private lastFlush = -Infinity;
  /** Smoothed time one flush takes (ms): what the next gap is made of. */
  private flushCost = 0;
  private readonly tickMs: number;
  private readonly minGapMs: number;
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
    this.minGapMs = Math.min(opts.minGapMs ?? FANOUT_MIN_GAP_MS, this.tickMs);
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

  /** The gap the next frame must keep after the last one (see the file comment). */
  get gapMs(): number {
    const idle = (this.flushCost * (1 - FANOUT_BUSY_SHARE)) / FANOUT_BUSY_SHARE;
    // The measured flush misses what the kernel does later: a frame budget bounds the writes anyway.
    const budget = (this.sinks.size * 1000) / FANOUT_MAX_WRITES_PER_S;
    return Math.min(this.tickMs, Math.max(this.minGapMs, idle, budget));
  }

  /** Arrange the next frame: right after this turn when the last one is a gap old, else at the gap's end. */
  private schedule(): void {
    if (this.timer !== null || this.immediate !== null) return;
    const wait = this.lastFlush + this.gapMs - performance.now();
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
    const started = performance.now();
    const frame = encodePixels(this.pending);
    this.counters.framesSent++;
    this.counters.recordsSent += this.pending.length;
    const sent = this.pending.length;
    this.pending = [];
    for (const sink of this.sinks) sink.sendPixels(frame);
    this.lastFlush = performance.now();
    // Smoothed over a few flushes, so one descheduled flush does not stall the next ones.
    this.flushCost = 0.7 * this.flushCost + 0.3 * (this.lastFlush - started);
    this.onFlush(sent, this.lastFlush - this.pendingSince);
  }

  close(): void {
    this.flush();
    this.sinks.clear();
  }
}
