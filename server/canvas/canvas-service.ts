// The canvas service ("canvas API"): validates placements, enforces the cooldown, commits them in
// groups and hands committed records to the hub. The WebSocket gateway and the HTTP API both call
// `place()`, so a placement behaves the same whichever way it arrives.
//
// Group commit: placements queue up while the database is busy with this replica's earlier groups;
// each group goes to the database as one statement (one round trip, one block of dense seqs, one
// cooldown decision for the group). Placements read from the sockets in one event-loop turn join
// one group. Up to GROUP_COMMITS_IN_FLIGHT groups may be on their way at once; the database's
// counter lock orders them, so seqs stay dense either way (1 by default: on the benchmark, bigger
// groups beat overlapping round trips). An idle server commits a lone placement at once; a busy one
// amortises the commit over many. An ack is only ever sent after its transaction committed.

import { GROUP_COMMIT_MAX_PLACEMENTS, GROUP_COMMITS_IN_FLIGHT } from "../../lib/limits";
import { PALETTE_SIZE } from "../../lib/palette";
import type { RejectCode } from "../../lib/protocol";
import type { PlacementDecision, PlacementRequest } from "./commit-plan";
import type { Logger } from "../logger";
import type { CommittedPlacement, PixelHub } from "../realtime/pixel-hub";
import type { Storage } from "./storage";

export type PlaceResult =
  | { ok: true; seq: number; x: number; y: number; color: number; cooldownUntil: number }
  | { ok: false; code: RejectCode; message: string; retryAfterMs?: number };

export interface Placer {
  id: string;
  name: string;
}

interface Queued {
  req: PlacementRequest;
  name: string;
  resolve: (r: PlaceResult) => void;
}

/** A local shortcut: cooldowns this replica itself committed, to reject early without a transaction. */
interface KnownCooldown {
  until: number; // database clock
  dbNowAtCommit: number;
  localAtCommit: number; // performance.now()
}

/** Below this much remaining cooldown the database decides, so a rounding never rejects a valid placement. */
const EARLY_REJECT_MARGIN_MS = 50;

export class CanvasService {
  private queue: Queued[] = [];
  /** Groups sent to the database and not answered yet. */
  private inFlight = 0;
  private pumpScheduled = false;
  /** Resolvers of drain() calls, settled when nothing is queued or in flight. */
  private drained: Array<() => void> = [];
  private readonly known = new Map<string, KnownCooldown>();
  readonly counters = {
    accepted: 0,
    rejected: { cooldown: 0, invalid_pixel: 0, rate_limited: 0, unavailable: 0 } as Record<RejectCode, number>,
    commits: 0,
  };

  constructor(
    private readonly storage: Storage,
    private readonly hub: PixelHub,
    readonly width: number,
    readonly height: number,
    readonly cooldownMs: number,
    private readonly log: Logger,
    /** Called after a failed commit: some of it may have committed, so the board must be reconciled. */
    private readonly onCommitFailure: () => void = () => {},
  ) {}

  /** Validate, cooldown-check and commit one placement. Never throws. */
  place(user: Placer, x: unknown, y: unknown, color: unknown): Promise<PlaceResult> {
    if (!isIndex(x, this.width) || !isIndex(y, this.height) || !isIndex(color, PALETTE_SIZE)) {
      return Promise.resolve(
        this.reject(
          "invalid_pixel",
          `x must be 0-${this.width - 1}, y 0-${this.height - 1} and color 0-${PALETTE_SIZE - 1} (integers)`,
        ),
      );
    }
    const remaining = this.knownRemainingMs(user.id);
    if (remaining > EARLY_REJECT_MARGIN_MS) {
      return Promise.resolve(this.reject("cooldown", cooldownMessage(remaining), remaining));
    }
    return new Promise((resolve) => {
      this.queue.push({ req: { userId: user.id, x, y, color }, name: user.name, resolve });
      // Pump after this event-loop turn: every placement read from the sockets in the same turn
      // joins the same group, at no cost in latency.
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        setImmediate(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Remaining cooldown of a user as this replica knows it (0 when unknown or over). */
  knownRemainingMs(userId: string): number {
    const k = this.known.get(userId);
    if (!k) return 0;
    const dbNowEstimate = k.dbNowAtCommit + (performance.now() - k.localAtCommit);
    const left = k.until - dbNowEstimate;
    if (left <= 0) this.known.delete(userId);
    return Math.max(0, Math.ceil(left));
  }

  /** Resolves once nothing is queued or committing (used by graceful shutdown). */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0 && !this.pumpScheduled) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Send queued placements to the database as groups, while fewer than the limit are in flight. */
  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < GROUP_COMMITS_IN_FLIGHT) {
      const group = this.queue.splice(0, GROUP_COMMIT_MAX_PLACEMENTS);
      this.inFlight++;
      void this.commitGroup(group)
        .catch((err: Error) => this.log.error({ err: err.message }, "group commit hand-off failed"))
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.queue.length === 0 && this.inFlight === 0) {
            const waiting = this.drained;
            this.drained = [];
            for (const resolve of waiting) resolve();
          }
        });
    }
  }

  private async commitGroup(group: Queued[]): Promise<void> {
    let decisions: PlacementDecision[];
    let committed: CommittedPlacement[] = [];
    try {
      const plan = await this.storage.commitPlacements(
        group.map((q) => q.req),
        this.cooldownMs,
      );
      decisions = plan.decisions;
      this.counters.commits++;
      const localNow = performance.now();
      committed = [];
      group.forEach((q, i) => {
        const d = decisions[i];
        if (!d.ok) return;
        committed.push({ seq: d.seq, x: q.req.x, y: q.req.y, color: q.req.color, userId: q.req.userId, username: q.name, placedAt: d.placedAt });
        if (this.cooldownMs > 0) {
          this.known.set(q.req.userId, { until: d.cooldownUntil, dbNowAtCommit: d.placedAt, localAtCommit: localNow });
        }
      });
    } catch (err) {
      this.log.error({ err: (err as Error).message, size: group.length }, "placement commit failed");
      for (const q of group) q.resolve(this.reject("unavailable", "the database is unavailable; try again shortly"));
      this.onCommitFailure();
      return;
    }
    // The board and the other clients learn of the placements before the placers get their acks,
    // so an acked pixel is already on this replica's board.
    if (committed.length > 0) this.hub.ingestLocal(committed);
    group.forEach((q, i) => {
      const d = decisions[i];
      if (d.ok) {
        this.counters.accepted++;
        q.resolve({ ok: true, seq: d.seq, x: q.req.x, y: q.req.y, color: q.req.color, cooldownUntil: d.cooldownUntil });
      } else {
        q.resolve(this.reject("cooldown", cooldownMessage(d.retryAfterMs), d.retryAfterMs));
      }
    });
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
