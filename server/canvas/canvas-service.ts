// The canvas service ("canvas API"): validates placements, enforces the cooldown, commits them in
// groups per board and hands committed records to a sink (the replica's rooms and the Redis fan-out).
// The WebSocket gateway and the HTTP API both call `place()`, so a placement behaves the same
// whichever way it arrives; moderation writes go through the same per-board queue.
//
// Group commit: placements queue up per board while the database is busy with that board's earlier
// groups; each group goes to the database as one statement (one round trip, one block of dense
// seqs). Placements read from the sockets in one event-loop turn join one group. An idle board
// commits a lone placement at once; a busy one amortises the commit over many. Boards commit
// independently (each has its own counter row). An ack is only ever sent after its transaction
// committed.

import { EARLY_REJECT_MARGIN_MS, GROUP_COMMITS_IN_FLIGHT, GROUP_COMMIT_MAX_PLACEMENTS, KNOWN_COOLDOWNS_MAX } from "../../lib/limits";
import { PALETTE_SIZE } from "../../lib/palette";
import type { PixelRecord, PublicUser, RejectCode } from "../../lib/protocol";
import type { Logger } from "../logger";
import type { BoardDirectory } from "./boards";
import type { PlacementDecision, PlacementRequest } from "./commit-plan";
import type { BoardRow, Storage, StoredPlacement } from "./store";

export type PlaceResult =
  | { ok: true; seq: number; x: number; y: number; color: number; cooldownUntil: number }
  | { ok: false; code: RejectCode | "no_board"; message: string; retryAfterMs?: number };

/** A placement as it leaves the canvas service, with what other replicas and tabs need to show it. */
export interface CommittedPlacement extends PixelRecord {
  userId: string;
  username: string;
  placedAt: number;
}

/** Where committed placements go: the local room of the board (if loaded) and the other replicas. */
export interface PlacementSink {
  committed(boardId: string, records: readonly CommittedPlacement[]): void;
}

interface QueuedPlacement {
  kind: "place";
  req: PlacementRequest;
  name: string;
  resolve: (r: PlaceResult) => void;
}

/** A moderation write: runs alone, in queue order with the board's placements. */
interface QueuedTask {
  kind: "task";
  run: () => Promise<void>;
}

type Queued = QueuedPlacement | QueuedTask;

interface BoardQueue {
  items: Queued[];
  inFlight: number;
  pumpScheduled: boolean;
}

/** Cooldowns this replica itself committed, to reject early without a transaction. */
interface KnownCooldown {
  until: number; // database clock
  dbNowAtCommit: number;
  localAtCommit: number; // performance.now()
}


export type Counters = {
  accepted: number;
  rejected: Record<RejectCode, number>;
  commits: number;
};

export class CanvasService {
  private readonly queues = new Map<string, BoardQueue>();
  /** Resolvers of drain() calls, settled when nothing is queued or in flight. */
  private drained: Array<() => void> = [];
  /** Keyed by `${board}\0${user}`; Map order is insertion order, so the oldest entry is evicted first. */
  private readonly known = new Map<string, KnownCooldown>();
  readonly counters: Counters = {
    accepted: 0,
    rejected: { cooldown: 0, invalid_pixel: 0, rate_limited: 0, unavailable: 0, banned: 0, frozen: 0 },
    commits: 0,
  };

  constructor(
    private readonly storage: Storage,
    private readonly boards: BoardDirectory,
    private readonly sink: PlacementSink,
    private readonly log: Logger,
    /** Called after a failed commit: some of it may have committed, so the board must be reconciled. */
    private readonly onCommitFailure: (boardId: string) => void = () => {},
  ) {}

  /** Validate, cooldown-check and commit one placement. Never throws. */
  async place(boardId: string, user: PublicUser, x: unknown, y: unknown, color: unknown): Promise<PlaceResult> {
    let board: BoardRow | null;
    try {
      board = await this.boards.get(boardId);
    } catch {
      return this.reject("unavailable", "the database is unavailable; try again shortly");
    }
    if (!board) return { ok: false, code: "no_board", message: `there is no board '${boardId}'` };
    if (!isIndex(x, board.width) || !isIndex(y, board.height) || !isIndex(color, PALETTE_SIZE)) {
      return this.reject(
        "invalid_pixel",
        `x must be 0-${board.width - 1}, y 0-${board.height - 1} and color 0-${PALETTE_SIZE - 1} (integers)`,
      );
    }
    const remaining = this.knownRemainingMs(boardId, user.id);
    if (remaining > EARLY_REJECT_MARGIN_MS) return this.reject("cooldown", cooldownMessage(remaining), remaining);
    return new Promise((resolve) => {
      this.enqueue(boardId, { kind: "place", req: { userId: user.id, x, y, color }, name: user.name, resolve });
    });
  }

  /**
   * Run a moderation write on a board in queue order: alone, between the board's placement groups,
   * so other users' placements interleave with a long rollback or wipe instead of waiting for all of it.
   */
  runTask<T>(boardId: string, task: () => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.enqueue(boardId, { kind: "task", run: () => task().then(resolve, reject) });
    });
  }

  /** Commit moderation placements (rollback, wipe) as one group; the caller runs it inside runTask. */
  async commitModeration(boardId: string, user: PublicUser, requests: readonly PlacementRequest[]): Promise<CommittedPlacement[]> {
    const plan = await this.storage.commitPlacements(boardId, requests, { cooldownMs: 0, moderation: true });
    this.counters.commits++;
    const committed: CommittedPlacement[] = [];
    plan.decisions.forEach((d, i) => {
      if (d.ok) committed.push({ seq: d.seq, x: requests[i].x, y: requests[i].y, color: requests[i].color, userId: user.id, username: user.name, placedAt: d.placedAt });
    });
    if (committed.length > 0) this.sink.committed(boardId, committed);
    return committed;
  }

  /** Hand placements committed elsewhere in this process (rollback chunks) to the sink. */
  deliver(boardId: string, placements: readonly StoredPlacement[], username: string): void {
    if (placements.length === 0) return;
    this.sink.committed(
      boardId,
      placements.map((p) => ({ seq: p.seq, x: p.x, y: p.y, color: p.color, userId: p.userId, username, placedAt: p.placedAt })),
    );
  }

  /** The end of a user's cooldown on a board (database clock) when this replica committed it and it is not over; else 0. */
  knownCooldownUntil(boardId: string, userId: string): number {
    return this.knownRemainingMs(boardId, userId) > 0 ? (this.known.get(`${boardId}\0${userId}`)?.until ?? 0) : 0;
  }

  /** Remaining cooldown of a user on a board as this replica knows it (0 when unknown or over). */
  knownRemainingMs(boardId: string, userId: string): number {
    const key = `${boardId}\0${userId}`;
    const k = this.known.get(key);
    if (!k) return 0;
    const left = k.until - (k.dbNowAtCommit + (performance.now() - k.localAtCommit));
    if (left <= 0) this.known.delete(key);
    return Math.max(0, Math.ceil(left));
  }

  /** Resolves once nothing is queued or committing (used by graceful shutdown). */
  drain(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private idle(): boolean {
    for (const q of this.queues.values()) if (q.items.length > 0 || q.inFlight > 0 || q.pumpScheduled) return false;
    return true;
  }

  private enqueue(boardId: string, item: Queued): void {
    let q = this.queues.get(boardId);
    if (!q) {
      q = { items: [], inFlight: 0, pumpScheduled: false };
      this.queues.set(boardId, q);
    }
    q.items.push(item);
    // Pump after this event-loop turn: every placement read from the sockets in the same turn
    // joins the same group, at no cost in latency.
    if (!q.pumpScheduled) {
      q.pumpScheduled = true;
      const queue = q;
      setImmediate(() => {
        queue.pumpScheduled = false;
        this.pump(boardId, queue);
      });
    }
  }

  /** Send a board's queued work to the database, while fewer than the limit are in flight. */
  private pump(boardId: string, q: BoardQueue): void {
    while (q.items.length > 0 && q.inFlight < GROUP_COMMITS_IN_FLIGHT) {
      let work: Promise<void>;
      const head = q.items[0];
      if (head.kind === "task") {
        q.items.shift();
        work = head.run();
      } else {
        let n = 0;
        while (n < q.items.length && n < GROUP_COMMIT_MAX_PLACEMENTS && q.items[n].kind === "place") n++;
        work = this.commitGroup(boardId, q.items.splice(0, n) as QueuedPlacement[]);
      }
      q.inFlight++;
      void work
        .catch((err: Error) => this.log.error({ err: err.message, board: boardId }, "queued board work failed"))
        .finally(() => {
          q.inFlight--;
          this.pump(boardId, q);
          if (q.items.length === 0 && q.inFlight === 0 && !q.pumpScheduled) {
            this.queues.delete(boardId);
            if (this.idle()) {
              const waiting = this.drained;
              this.drained = [];
              for (const resolve of waiting) resolve();
            }
          }
        });
    }
  }

  private async commitGroup(boardId: string, group: QueuedPlacement[]): Promise<void> {
    let board: BoardRow | null;
    let decisions: PlacementDecision[];
    const committed: CommittedPlacement[] = [];
    try {
      board = await this.boards.get(boardId);
      if (!board) throw new Error(`board ${boardId} vanished`);
      const cooldownMs = board.cooldownMs;
      const plan = await this.storage.commitPlacements(
        boardId,
        group.map((q) => q.req),
        { cooldownMs },
      );
      decisions = plan.decisions;
      this.counters.commits++;
      const localNow = performance.now();
      group.forEach((q, i) => {
        const d = decisions[i];
        if (!d.ok) return;
        committed.push({ seq: d.seq, x: q.req.x, y: q.req.y, color: q.req.color, userId: q.req.userId, username: q.name, placedAt: d.placedAt });
        if (cooldownMs > 0) this.remember(boardId, q.req.userId, { until: d.cooldownUntil, dbNowAtCommit: d.placedAt, localAtCommit: localNow });
      });
    } catch (err) {
      this.log.error({ err: (err as Error).message, size: group.length, board: boardId }, "placement commit failed");
      for (const q of group) q.resolve(this.reject("unavailable", "the database is unavailable; try again shortly"));
      this.onCommitFailure(boardId);
      return;
    }
    // The board and the other clients learn of the placements before the placers get their acks,
    // so an acked pixel is already on this replica's board.
    if (committed.length > 0) this.sink.committed(boardId, committed);
    group.forEach((q, i) => {
      const d = decisions[i];
      if (d.ok) {
        this.counters.accepted++;
        q.resolve({ ok: true, seq: d.seq, x: q.req.x, y: q.req.y, color: q.req.color, cooldownUntil: d.cooldownUntil });
      } else if (d.code === "cooldown") {
        q.resolve(this.reject("cooldown", cooldownMessage(d.retryAfterMs), d.retryAfterMs));
      } else if (d.code === "banned") {
        q.resolve(this.reject("banned", "you are banned from placing pixels"));
      } else {
        q.resolve(this.reject("frozen", "this board is frozen: no placements for now"));
      }
    });
  }

  private remember(boardId: string, userId: string, k: KnownCooldown): void {
    const key = `${boardId}\0${userId}`;
    this.known.delete(key);
    this.known.set(key, k);
    // Bounded: the oldest entries are the ones most likely over; losing one only costs a transaction.
    if (this.known.size > KNOWN_COOLDOWNS_MAX) this.known.delete(this.known.keys().next().value as string);
  }

  private reject(code: RejectCode, message: string, retryAfterMs?: number): PlaceResult {
    this.counters.rejected[code]++;
    return retryAfterMs === undefined ? { ok: false, code, message } : { ok: false, code, message, retryAfterMs };
  }

  /** Count a rejection decided outside the service (the gateway's rate limiter). */
  countRejection(code: RejectCode): void {
    this.counters.rejected[code]++;
  }
}

function isIndex(v: unknown, size: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v < size;
}

function cooldownMessage(ms: number): string {
  return `cooling down: you can place again in ${(ms / 1000).toFixed(1)} s`;
}
