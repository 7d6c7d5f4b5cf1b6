// What the rest of the server needs from the database (docs/ARCHITECTURE.md "Data model"). The
// implementation is storage.ts (drizzle over PostgreSQL or PGlite); everything else depends on
// this interface only.

import type { BoardState, BoardVisibility, PublicUser } from "../../lib/protocol";
import type { CommitPlan, PlacementRequest } from "./commit-plan";

/** A board's row (SPEC §9) without its live counts; `seq` is the committed seq when it was read. */
export interface BoardRow {
  id: string;
  title: string;
  width: number;
  height: number;
  cooldownMs: number;
  visibility: BoardVisibility;
  state: BoardState;
  createdAt: number;
  createdBy: PublicUser | null;
  seq: number;
}

export interface NewBoard {
  id: string;
  title: string;
  width: number;
  height: number;
  cooldownMs: number;
  visibility: BoardVisibility;
  /** The creating user's id. */
  createdBy: string;
}

export type CreateBoardResult = { ok: true; board: BoardRow } | { ok: false; code: "board_exists" | "rate_limited" };

/** One committed placement as the database holds it. */
export interface StoredPlacement {
  seq: number;
  x: number;
  y: number;
  color: number;
  userId: string;
  placedAt: number;
}

export interface StoredUser {
  id: string;
  name: string;
  createdAt: number;
  /** Epoch ms until which the user is banned (null: not banned). */
  bannedUntil: number | null;
  banReason: string | null;
  moderator: boolean;
  /** Sessions issued before this epoch ms are revoked (0: none). */
  sessionsAfter: number;
}

/** The latest placement at a pixel, with its author (GET …/pixel). */
export interface PixelInfo {
  x: number;
  y: number;
  color: number;
  seq: number;
  user: PublicUser;
  placedAt: number;
}

/**
 * Placements packed for replays, `count` records of PACKED_RECORD_BYTES each, in seq order: one
 * big-endian 64-bit word per placement, `seq << 32 | x << 20 | y << 8 | color` (x, y < 4096,
 * color < 256; the seq field holds the low 32 bits, the width PIXELS frames give it too).
 * Built by the database in one value per page: decoding it costs a few ns per placement where
 * one row object per placement costs microseconds.
 */
export interface PackedPlacements {
  records: Uint8Array;
  count: number;
  /** The seq of the last record (the `after` given when there are none). */
  lastSeq: number;
}

export const PACKED_RECORD_BYTES = 8;

/** Thrown by any per-board call naming a board that does not exist. */
export class UnknownBoardError extends Error {
  constructor(readonly boardId: string) {
    super(`no board '${boardId}'`);
  }
}

/** A board image that includes every placement with seq ≤ `seq`; `pixels` are the raw row-major bytes. */
export interface Snapshot {
  seq: number;
  width: number;
  height: number;
  pixels: Uint8Array;
}

export type ModActor = { id: string; name: string } | { admin: true };

export interface ModLogEntry {
  id: number;
  at: number;
  actor: ModActor;
  action: string;
  params: unknown;
  result: unknown;
}

export interface CommitOptions {
  cooldownMs: number;
  /** Rollback and wipe chunks: no cooldown, ban or freeze check (SPEC §12). */
  moderation?: boolean;
}

/** The user every rollback and wipe placement is attributed to (SPEC §12). */
export const MODERATION_USER: PublicUser = { id: "moderation", name: "moderation" };

/**
 * Per-board calls that need the board's row — commitPlacements, currentSeq, firstSeqAtOrAfter,
 * rollbackChunk, and topPlacers/placementsPerMinute over a time range — throw UnknownBoardError
 * for a board that does not exist; plain reads of an unknown board find nothing (null, 0, []).
 */
export interface Storage {
  readonly kind: "postgres" | "pglite";

  // ---- boards
  /** Create `main` if missing and make its size and cooldown follow the configuration. */
  syncMainBoard(width: number, height: number, cooldownMs: number): Promise<BoardRow>;
  /** null for an unknown board. */
  getBoard(id: string): Promise<BoardRow | null>;
  /** The boards among `ids` that exist, in no particular order. */
  getBoards(ids: readonly string[]): Promise<BoardRow[]>;
  /** Public boards, newest first (ties by id). */
  listPublicBoards(offset: number, limit: number): Promise<BoardRow[]>;
  /**
   * Create a board unless the user created `perUserPerDay` boards in the last 24 h (counted in
   * the database under the user's row lock, so concurrent requests cannot both slip through) or
   * the id is taken.
   */
  createBoard(board: NewBoard, perUserPerDay: number): Promise<CreateBoardResult>;
  /** null for an unknown board. */
  setBoardState(id: string, state: BoardState): Promise<BoardRow | null>;

  // ---- placements
  /** Decide and commit a group of placements on one board in one round trip (see commit-plan.ts). */
  commitPlacements(boardId: string, requests: readonly PlacementRequest[], opts: CommitOptions): Promise<CommitPlan>;
  /** Placements of a board with seq > `after`, in seq order, at most `limit`. */
  placementsAfter(boardId: string, after: number, limit: number): Promise<StoredPlacement[]>;
  /**
   * Placements with `after` < seq ≤ `through`, in seq order, at most `limit`, packed (replays:
   * loading, snapshots, history). With `outside`, only those outside that rectangle (x ≥ width or
   * y ≥ height): what a smaller snapshot of a resized board does not hold.
   */
  placementsPacked(
    boardId: string,
    after: number,
    through: number,
    limit: number,
    outside?: { width: number; height: number },
  ): Promise<PackedPlacements>;
  /**
   * The first seq whose placement was made at or after `atMs` (epoch ms, database clock); the
   * board's seq + 1 when none was. placed_at never decreases along a board's seqs, so this is a
   * binary search over seq (O(log n) index probes, no index on time).
   */
  firstSeqAtOrAfter(boardId: string, atMs: number): Promise<number>;
  /** The board's highest committed seq. */
  currentSeq(boardId: string): Promise<number>;
  /** The user's last accepted placement time on the board (database clock), or null. */
  lastPlacedAt(boardId: string, userId: string): Promise<number | null>;
  pixelInfo(boardId: string, x: number, y: number): Promise<PixelInfo | null>;
  /** The latest `limit` placements at a pixel, newest first. */
  pixelHistory(boardId: string, x: number, y: number, limit: number): Promise<PixelInfo[]>;

  // ---- snapshots
  /** The newest snapshot with seq ≤ `atMostSeq` (default: any), or null; decompressed off the event loop. */
  latestSnapshot(boardId: string, atMostSeq?: number): Promise<Snapshot | null>;
  /** The seq of the newest snapshot (0 when there is none), without reading its pixels. */
  latestSnapshotSeq(boardId: string): Promise<number>;
  /**
   * Store a snapshot (compressed off the event loop, then one insert in its own transaction, which
   * takes no lock a commit waits for); false when one with that seq already existed.
   */
  saveSnapshot(boardId: string, snapshot: Snapshot): Promise<boolean>;

  // ---- users
  createUser(name: string): Promise<StoredUser>;
  getUser(id: string): Promise<StoredUser | null>;
  /** Ban (until = epoch ms) or unban (until = null); null when there is no such user. */
  setBan(userId: string, until: number | null, reason: string | null): Promise<StoredUser | null>;
  setModerator(userId: string, moderator: boolean): Promise<StoredUser | null>;
  /** Revoke every session of the user issued before now (sets `sessionsAfter` to the database clock). */
  revokeSessions(userId: string): Promise<StoredUser | null>;
  /** Users banned now (for the replicas' ban caches). */
  bannedUsers(): Promise<Array<{ id: string; until: number }>>;

  // ---- moderation
  appendModLog(boardId: string, entry: Omit<ModLogEntry, "id" | "at">): Promise<ModLogEntry>;
  /** Audit log entries of a board, newest first, with id < `before` when given. */
  modLog(boardId: string, before: number | null, limit: number): Promise<ModLogEntry[]>;
  /**
   * One chunk of a rollback. The next `chunkPixels` pixels after `after` in (y, x) order where
   * `userId` placed with seq > `afterSeq` are found without a lock; then, under the board's lock,
   * those whose latest placement is still that user's (with seq > `afterSeq`) take the colour of
   * their latest placement by anyone else (0 if none), committed as moderation placements. The lock
   * is held for the writes only. `next` is the cursor for the following chunk, null when done.
   */
  rollbackChunk(
    boardId: string,
    userId: string,
    afterSeq: number,
    after: { x: number; y: number } | null,
    chunkPixels: number,
  ): Promise<{ committed: StoredPlacement[]; next: { x: number; y: number } | null }>;

  // ---- stats (the board's stats page); the `moderation` user is left out of all three.
  /** Most placements first (ties by user id): all time (`sinceMs` null, from board_users) or since `sinceMs`. */
  topPlacers(boardId: string, sinceMs: number | null, limit: number): Promise<Array<{ user: PublicUser; placements: number }>>;
  userPlacements(boardId: string, userId: string): Promise<number>;
  /** Accepted placements per minute in [fromMs, toMs), oldest first; `minute` is its start (epoch ms); minutes without any are omitted. */
  placementsPerMinute(boardId: string, fromMs: number, toMs: number): Promise<Array<{ minute: number; placements: number }>>;

  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
