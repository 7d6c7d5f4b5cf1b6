// Sync bookkeeping of the client's board: which snapshot is loaded, which records wait for it, and
// when a `sync` is needed so that nothing between the snapshot and the live stream is missed.
//
// Invariant: every placement with seq ≤ board.seq is on the board, and the server streams every
// placement with seq > streamFrom (from `welcome.seq` or `resync.seq`). Whenever streamFrom is
// ahead of board.seq, the hole (board.seq, streamFrom] must be asked for with `sync`.
// No sockets, timers or DOM here, so every branch is unit-tested.

import { Board } from "../canvas";
import { decodePixels, type PixelRecord } from "../protocol";
import { GAP_SYNC_MS, MAX_BUFFERED_RECORDS } from "./constants";

export class BoardSync {
  board: Board | null = null;
  private loading = false;
  private buffer: PixelRecord[] = [];
  /** Records were dropped from a full buffer: a `sync` after the load must fetch them again. */
  private overflowed = false;
  /** The server streams every seq above this to us; null while not connected. */
  private streamFrom: number | null = null;
  private gapWatermark = -1;
  private gapSince = 0;

  /** True while records are buffered instead of applied (no board yet, or a reload in flight). */
  get buffering(): boolean {
    return this.loading || this.board === null;
  }

  get bufferedCount(): number {
    return this.buffer.length;
  }

  /** A snapshot fetch started: hold incoming records until it is installed. */
  beginLoad(): void {
    this.loading = true;
  }

  /**
   * Install a snapshot that includes every placement with seq ≤ `seq`, then apply the records that
   * arrived meanwhile. Returns whether a new Board object was made (first load or a size change)
   * and the `since` of a `sync` to send now (null: none needed, or not connected yet).
   */
  finishLoad(bytes: Uint8Array, seq: number, width: number, height: number): { boardChanged: boolean; syncSince: number | null } {
    let boardChanged = false;
    if (!this.board || this.board.width !== width || this.board.height !== height) {
      this.board = new Board(width, height);
      boardChanged = true;
    }
    this.board.load(bytes, seq);
    this.loading = false;
    for (const r of this.buffer) this.board.apply(r.seq, r.x, r.y, r.color);
    this.buffer = [];
    return { boardChanged, syncSince: this.syncNeeded() };
  }

  /** A `welcome` arrived. Returns the `since` of a `sync` to send, or null. */
  welcome(seq: number): number | null {
    this.streamFrom = seq;
    return this.syncNeeded();
  }

  /** A `resync` arrived: the caller reloads the snapshot; the stream continues after `seq`. */
  resync(seq: number): void {
    this.streamFrom = seq;
    this.loading = true;
  }

  /** The socket closed: nothing is streamed until the next `welcome`. */
  disconnected(): void {
    this.streamFrom = null;
  }

  /**
   * Handle one binary PIXELS frame. `onNew` is called for every record that changed the board
   * (never while buffering: the snapshot install redraws everything). Returns the number of records,
   * or -1 for a malformed frame.
   */
  receive(frame: Uint8Array, onNew: (index: number, seq: number) => void): number {
    const board = this.board;
    if (this.buffering || !board) {
      return decodePixels(frame, (seq, x, y, color) => {
        if (this.buffer.length < MAX_BUFFERED_RECORDS) this.buffer.push({ seq, x, y, color });
        else this.overflowed = true;
      });
    }
    const width = board.width;
    return decodePixels(frame, (seq, x, y, color) => {
      if (board.apply(seq, x, y, color)) onNew(y * width + x, seq);
    });
  }

  /**
   * Called periodically: a hole below the highest received seq that stays open for GAP_SYNC_MS
   * (a record lost between replicas, or reordering that never resolved) is asked for again.
   * Returns the `since` of a `sync` to send, or null.
   */
  checkGap(now: number): number | null {
    const board = this.board;
    if (!board || this.buffering || this.streamFrom === null || !board.hasGap) {
      this.gapWatermark = -1;
      return null;
    }
    if (this.gapWatermark !== board.seq) {
      this.gapWatermark = board.seq;
      this.gapSince = now;
      return null;
    }
    if (now - this.gapSince < GAP_SYNC_MS) return null;
    this.gapSince = now;
    return board.seq;
  }

  private syncNeeded(): number | null {
    const board = this.board;
    if (!board || this.loading || this.streamFrom === null) return null;
    if (this.streamFrom > board.seq || this.overflowed) {
      this.overflowed = false;
      return board.seq;
    }
    return null;
  }
}
