// Keeps a loaded board equal to the database. Redis pub/sub is at-most-once and may be down, so
// the database (whose seqs are dense per board) is read for whatever this replica has not seen:
//  - at once when asked (Redis came back, a commit failed, a gap stayed open);
//  - every OUTAGE_POLL_MS while Redis is down (other replicas' placements still reach local clients);
//  - every CONVERGENCE_CHECK_MS otherwise, as a safety net for a lost last message.
// Reads are serialised per board: one catch-up at a time, and a request during one runs another after it.

import { CATCH_UP_PAGE_PLACEMENTS, CONVERGENCE_CHECK_MS, GAP_REPAIR_MS, OUTAGE_POLL_MS } from "../../lib/limits";
import type { Storage } from "../canvas/store";
import type { Logger } from "../logger";
import type { Room } from "./room";


/** Apply every committed placement of the room's board it does not have yet; returns how many were new. */
async function catchUp(storage: Storage, room: Room, page = CATCH_UP_PAGE_PLACEMENTS): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await storage.placementsAfter(room.id, room.seq, page);
    total += room.ingest(rows);
    if (rows.length < page) return total;
  }
}

export type ConvergenceMode = "single" | "redis-up" | "redis-down";

/** Catch-up counters of a replica, summed over its boards (for /metrics). */
export interface CatchUpCounters {
  runs: number;
  recovered: number;
  failures: number;
  lastRunMs: number;
}

export class Convergence {
  private running: Promise<void> | null = null;
  private again = false;
  private poll: NodeJS.Timeout | null = null;
  private gapTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly storage: Storage,
    private readonly room: Room,
    private readonly log: Logger,
    private readonly counters: CatchUpCounters,
  ) {}

  /** Set the polling rhythm for the replica's Redis state. */
  setMode(mode: ConvergenceMode): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    if (this.stopped || mode === "single") return;
    const every = mode === "redis-down" ? OUTAGE_POLL_MS : CONVERGENCE_CHECK_MS;
    this.poll = setInterval(() => void this.request(), every);
    this.poll.unref();
  }

  /** After records from elsewhere: if a gap stays open for GAP_REPAIR_MS, read it from the database. */
  watchGap(): void {
    const board = this.room.hub.board;
    if (this.gapTimer || !board.hasGap || this.stopped) return;
    const target = board.maxSeq;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      if (board.seq < target) void this.request();
    }, GAP_REPAIR_MS);
    this.gapTimer.unref();
  }

  /** Read the database for unseen placements now (or right after the current read). */
  request(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const started = performance.now();
        try {
          const n = await catchUp(this.storage, this.room);
          this.counters.runs++;
          this.counters.recovered += n;
          this.counters.lastRunMs = performance.now() - started;
          if (n > 0) this.log.info({ board: this.room.id, recovered: n, seq: this.room.seq }, "caught up from the database");
        } catch (err) {
          this.counters.failures++;
          this.log.warn({ board: this.room.id, err: (err as Error).message }, "catch-up from the database failed; will retry");
          this.retrySoon();
        }
      } while (this.again && !this.stopped);
      this.running = null;
    })();
    return this.running;
  }

  private retrySoon(): void {
    if (this.gapTimer || this.stopped) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      void this.request();
    }, OUTAGE_POLL_MS);
    this.gapTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    if (this.gapTimer) clearTimeout(this.gapTimer);
    await this.running;
  }
}
