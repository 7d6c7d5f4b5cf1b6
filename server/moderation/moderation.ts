// Moderation (SPEC §12): moderator grants, bans, rollback, wipe, freeze and the audit log.
//
// Rollback and wipe are ordinary placements of the `moderation` user with new seqs, written in
// chunks of MODERATION_CHUNK_PIXELS. Each chunk is one transaction run through the canvas
// service's per-board queue (`runTask`), alone between two placement groups, so other users'
// placements keep being committed and acknowledged while a long rollback or wipe is under way,
// and replay, catch-up and convergence need nothing new. Every replica learns of bans, grants
// and freezes through the event bus; every action, done or failed, goes into the audit log.

import { BANNED_FOREVER } from "../../lib/db/schema";
import { MAIN_BOARD, type PublicUser } from "../../lib/protocol";
import { MODERATION_CHUNK_PIXELS } from "../../lib/limits";
import type { CanvasService } from "../canvas/canvas-service";
import type { PlacementRequest } from "../canvas/commit-plan";
import { type BoardRow, type ModActor, type ModLogEntry, MODERATION_USER, type Storage, type StoredUser } from "../canvas/store";
import type { Logger } from "../logger";
import type { EventBus } from "./events";

/** A moderation request that cannot be done as asked; `code` is the API's error code. */
export class ModerationError extends Error {
  constructor(
    readonly code: "no_user" | "invalid_user" | "invalid_rect",
    message: string,
  ) {
    super(message);
  }
}

/** A rectangle of board pixels, corners included. */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** What a rollback or wipe wrote: how many placements, and the seqs of the first and last (null when none). */
export interface WriteResult {
  firstSeq: number | null;
  lastSeq: number | null;
}

export interface ModerationDeps {
  storage: Storage;
  service: Pick<CanvasService, "runTask" | "commitModeration" | "deliver">;
  events: EventBus;
  log: Logger;
  /** Pixels per chunk (tests make it small to exercise many chunks). */
  chunkPixels?: number;
}

export class Moderation {
  private readonly chunk: number;

  constructor(private readonly d: ModerationDeps) {
    this.chunk = d.chunkPixels ?? MODERATION_CHUNK_PIXELS;
  }

  /**
   * Grant or take back moderation (the admin API). Grants are not per board; they are recorded in
   * the audit log of `main`, the board every deployment has.
   */
  async setModerator(userId: string, moderator: boolean): Promise<StoredUser> {
    const user = await this.d.storage.setModerator(userId, moderator);
    if (!user) throw new ModerationError("no_user", `there is no user '${userId}'`);
    // Every replica re-reads the user at its next request instead of after its cache expires.
    this.d.events.publish({ type: "user_changed", userId });
    await this.record(MAIN_BOARD, { admin: true }, moderator ? "moderator_grant" : "moderator_revoke", { userId }, { user: publicOf(user), moderator });
    return user;
  }

  /** Ban a user from placing on every board, for `durationMs` or for good; their tabs close everywhere. */
  async ban(board: BoardRow, actor: ModActor, userId: string, reason: string, durationMs: number | null): Promise<{ user: PublicUser; until: number }> {
    if (userId === MODERATION_USER.id) throw new ModerationError("invalid_user", "the moderation user cannot be banned");
    const until = durationMs === null ? BANNED_FOREVER : Date.now() + durationMs;
    const user = await this.d.storage.setBan(userId, until, reason);
    if (!user) throw new ModerationError("no_user", `there is no user '${userId}'`);
    this.d.events.publish({ type: "user_banned", userId, until });
    const result = { user: publicOf(user), until };
    await this.record(board.id, actor, "ban", { userId, reason, durationMs }, result);
    return result;
  }

  async unban(board: BoardRow, actor: ModActor, userId: string): Promise<{ user: PublicUser }> {
    const user = await this.d.storage.setBan(userId, null, null);
    if (!user) throw new ModerationError("no_user", `there is no user '${userId}'`);
    this.d.events.publish({ type: "user_unbanned", userId });
    const result = { user: publicOf(user) };
    await this.record(board.id, actor, "unban", { userId }, result);
    return result;
  }

  /**
   * Every pixel whose latest placement is `userId`'s with seq > `afterSeq` takes the colour of its
   * latest placement by anyone else (0 if none). Chunk by chunk in (y, x) order; the database
   * decides each chunk under the board's lock, so a placement made between two chunks is never
   * overwritten by the rollback.
   */
  async rollback(board: BoardRow, actor: ModActor, userId: string, afterSeq: number): Promise<{ reverted: number } & WriteResult> {
    const written = { reverted: 0, firstSeq: null as number | null, lastSeq: null as number | null };
    const params = { userId, afterSeq };
    try {
      let cursor: { x: number; y: number } | null = null;
      do {
        const from: { x: number; y: number } | null = cursor;
        cursor = await this.d.service.runTask(board.id, async () => {
          const { committed, next } = await this.d.storage.rollbackChunk(board.id, userId, afterSeq, from, this.chunk);
          // Handed to the rooms and Redis before the next group commits, as a placement group would be.
          this.d.service.deliver(board.id, committed, MODERATION_USER.name);
          if (committed.length > 0) {
            written.reverted += committed.length;
            written.firstSeq ??= committed[0].seq;
            written.lastSeq = committed[committed.length - 1].seq;
          }
          return next;
        });
      } while (cursor !== null);
    } catch (err) {
      await this.record(board.id, actor, "rollback", params, { ...written, error: (err as Error).message, complete: false });
      throw err;
    }
    await this.record(board.id, actor, "rollback", params, written);
    return written;
  }

  /** The rectangle takes `color`, row by row, in chunks. */
  async wipe(board: BoardRow, actor: ModActor, rect: Rect, color: number, maxPixels: number): Promise<{ pixels: number } & WriteResult> {
    const { x0, y0, x1, y1 } = rect;
    if (x0 > x1 || y0 > y1 || x1 >= board.width || y1 >= board.height) {
      throw new ModerationError("invalid_rect", `need 0 ≤ x0 ≤ x1 < ${board.width} and 0 ≤ y0 ≤ y1 < ${board.height}`);
    }
    const area = (x1 - x0 + 1) * (y1 - y0 + 1);
    if (area > maxPixels) throw new ModerationError("invalid_rect", `a wipe covers at most ${maxPixels} pixels; this one has ${area}`);
    const written = { pixels: 0, firstSeq: null as number | null, lastSeq: null as number | null };
    const params = { ...rect, color };
    try {
      let x = x0;
      let y = y0;
      while (y <= y1) {
        const requests: PlacementRequest[] = [];
        while (requests.length < this.chunk && y <= y1) {
          requests.push({ userId: MODERATION_USER.id, x, y, color });
          if (++x > x1) {
            x = x0;
            y++;
          }
        }
        const committed = await this.d.service.runTask(board.id, () => this.d.service.commitModeration(board.id, MODERATION_USER, requests));
        if (committed.length !== requests.length) throw new Error(`a wipe chunk committed ${committed.length} of ${requests.length} pixels`);
        written.pixels += committed.length;
        written.firstSeq ??= committed[0].seq;
        written.lastSeq = committed[committed.length - 1].seq;
      }
    } catch (err) {
      await this.record(board.id, actor, "wipe", params, { ...written, error: (err as Error).message, complete: false });
      throw err;
    }
    await this.record(board.id, actor, "wipe", params, written);
    return written;
  }

  /** A frozen board refuses placements (the database checks under the board's lock; replicas drop their cached row). */
  async freeze(board: BoardRow, actor: ModActor, frozen: boolean): Promise<{ state: "open" | "frozen" }> {
    const row = await this.d.storage.setBoardState(board.id, frozen ? "frozen" : "open");
    if (!row) throw new Error(`board ${board.id} vanished`);
    this.d.events.publish({ type: "board_changed", board: board.id });
    const result = { state: row.state };
    await this.record(board.id, actor, frozen ? "freeze" : "unfreeze", { frozen }, result);
    return result;
  }

  /** Audit log entries of a board, newest first; `next` is the `after` of the following page. */
  async log(boardId: string, after: number | null, limit: number): Promise<{ entries: ModLogEntry[]; next: number | null }> {
    const entries = await this.d.storage.modLog(boardId, after, limit);
    return { entries, next: entries.length === limit ? entries[entries.length - 1].id : null };
  }

  /** The action is done (or failed) whatever happens here; a lost audit entry is logged loudly instead. */
  private async record(boardId: string, actor: ModActor, action: string, params: unknown, result: unknown): Promise<void> {
    try {
      await this.d.storage.appendModLog(boardId, { actor, action, params, result });
    } catch (err) {
      this.d.log.error({ err: (err as Error).message, board: boardId, action, params, result }, "audit log entry lost");
    }
  }
}

function publicOf(user: StoredUser): PublicUser {
  return { id: user.id, name: user.name };
}
