// Keeps a board up to date without a session, for a visitor who is only watching: `/ws` needs a
// session (SPEC §4 answers 401 without one), so the page asks over HTTP every WATCH_POLL_MS while
// the tab is visible, and not at all while it is hidden.
//
// Where the updates come from is one small interface, WatchSource. Today's source is the whole
// board (`GET /api/canvas` with `If-None-Match`: 304 while nothing changed, and the server keeps
// one gzipped body per board state, so a crowd of watchers costs little). A source that answers
// with the placements after the board's seq (`GET /api/boards/{id}/placements?after=`, SPEC §13)
// returns `records` instead, and nothing else here changes. Framework-free and timer-injected, so
// the tests drive it with fake timers.

import { Board } from "../canvas";
import type { PixelRecord } from "../protocol";

export type WatchUpdate =
  /** Nothing changed since the last answer. */
  | { kind: "same" }
  /** The whole board, including every placement with seq ≤ `seq`. */
  | { kind: "snapshot"; bytes: Uint8Array; seq: number; width: number; height: number }
  /** Placements after the board's seq (a source that pages through history). */
  | { kind: "records"; records: readonly PixelRecord[] };

export interface WatchSource {
  /** The next update for `board` (null: nothing loaded yet, so a snapshot is needed). */
  next(board: Board | null): Promise<WatchUpdate>;
}

export interface PollerListener {
  /** A new Board object (first load or a size change): draw it all. */
  board(board: Board): void;
  /** Many pixels changed at once: redraw everything. */
  redraw(): void;
  /** Pixel `index` changed. */
  pixel(index: number): void;
  /** Whether the last request reached the server. */
  status(ok: boolean): void;
}

export interface PollerOptions {
  source: WatchSource;
  intervalMs: number;
  isVisible(): boolean;
}

export class BoardPoller {
  board: Board | null = null;
  /** Requests that failed in a row (0 while the server answers). */
  failures = 0;
  private started = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight = false;
  private readonly opts: PollerOptions;
  private readonly listener: PollerListener;

  constructor(opts: PollerOptions, listener: PollerListener) {
    this.opts = opts;
    this.listener = listener;
  }

  /** A request is on its way or planned (false while the tab is hidden and nothing is in flight). */
  get active(): boolean {
    return this.inFlight || this.timer !== null;
  }

  /** The board drawn from pixel bytes, for the renderer (watchers have no optimistic pixels). */
  colorAt(index: number): number {
    return this.board?.pixels[index] ?? 0;
  }

  overrides(): Iterable<[number, { color: number }]> {
    return [];
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.poll();
  }

  stop(): void {
    this.started = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The tab was shown or hidden: shown, it catches up at once; hidden, polling pauses. */
  visibilityChanged(): void {
    if (!this.started) return;
    if (this.opts.isVisible()) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      void this.poll();
    } else if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Ask now (e.g. the user pressed "retry"). */
  pollNow(): void {
    if (!this.started) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    void this.poll();
  }

  private async poll(): Promise<void> {
    if (!this.started || this.inFlight) return;
    this.inFlight = true;
    try {
      const u = await this.opts.source.next(this.board);
      if (!this.started) return;
      this.apply(u);
      this.failures = 0;
      this.listener.status(true);
    } catch {
      if (!this.started) return;
      this.failures++;
      this.listener.status(false);
    } finally {
      this.inFlight = false;
      this.schedule();
    }
  }

  private schedule(): void {
    if (!this.started || this.timer !== null || !this.opts.isVisible()) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, this.opts.intervalMs);
  }

  private apply(u: WatchUpdate): void {
    switch (u.kind) {
      case "same":
        return;
      case "snapshot": {
        const b = this.board;
        if (!b || b.width !== u.width || b.height !== u.height) {
          const nb = new Board(u.width, u.height);
          nb.load(u.bytes, u.seq);
          this.board = nb;
          this.listener.board(nb);
          return;
        }
        if (u.seq < b.seq) return; // an older copy (another replica lagging): keep what we have
        const old = b.pixels;
        const changed: number[] = [];
        const limit = old.length / 8;
        for (let i = 0; i < old.length; i++) {
          if (old[i] !== u.bytes[i] && changed.push(i) > limit) break;
        }
        b.load(u.bytes, u.seq);
        if (changed.length > limit) this.listener.redraw();
        else for (const i of changed) this.listener.pixel(i);
        return;
      }
      case "records": {
        const b = this.board;
        if (!b) return;
        for (const r of u.records) {
          if (b.apply(r.seq, r.x, r.y, r.color) && b.contains(r.x, r.y)) this.listener.pixel(r.y * b.width + r.x);
        }
        return;
      }
      default: {
        const unknown: never = u;
        void unknown;
      }
    }
  }
}
