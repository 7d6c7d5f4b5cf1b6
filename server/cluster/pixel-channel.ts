// Committed placements across replicas (SPEC §5, §9): one `pixel-updates[:board]` message per commit
// group, signed; a replica follows a board's channel only while it holds the board. Everything
// received is untrusted until verified and bounded: a forged or out-of-range message is dropped and
// counted, never applied and never thrown on (the database stays the truth; catch-up fills gaps).

import { REDIS_PIXEL_UPDATES_MAX } from "../../lib/limits";
import { PALETTE_SIZE } from "../../lib/palette";
import type { PixelRecord } from "../../lib/protocol";
import type { CommittedPlacement } from "../canvas/canvas-service";
import type { Logger } from "../logger";
import type { RedisLink } from "./redis-link";
import { pixelChannel } from "./redis-names";
import type { Signer } from "./signing";

/** Channel kind for counters and metrics. */
const PIXEL_KIND = "pixel-updates";

/** Seqs travel as u32 in PIXELS frames. */
const MAX_SEQ = 0xffff_ffff;

/** The JSON of one placement on `pixel-updates` (SPEC §5 plus `board` and `userId`). */
export interface PixelUpdatedMessage {
  type: "pixel_updated";
  board: string;
  x: number;
  y: number;
  color: number;
  userId: string;
  username: string;
  timestamp: number;
  seq: number;
  origin: string;
}

/** A record from another replica: what the board needs, and who placed it when (for cooldown events). */
export interface RemoteRecord extends PixelRecord {
  userId: string;
  placedAt: number;
}

/** What a received message is checked against. */
export interface Bounds {
  width: number;
  height: number;
}

/** Encode committed placements as one message (unsigned object). */
export function pixelMessage(board: string, records: readonly CommittedPlacement[], origin: string): object {
  const updates: PixelUpdatedMessage[] = records.map((r) => ({
    type: "pixel_updated",
    board,
    x: r.x,
    y: r.y,
    color: r.color,
    userId: r.userId,
    username: r.username,
    timestamp: r.placedAt,
    seq: r.seq,
    origin,
  }));
  return updates.length === 1 ? updates[0] : { type: "pixels_updated", board, origin, updates };
}

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

/**
 * Validate a verified message for `board`: its records and origin, or null when anything is off
 * (wrong board, a field missing or out of range). All or nothing: a message is one commit group.
 */
export function readPixelMessage(msg: Record<string, unknown>, board: string, bounds: Bounds): { origin: string; records: RemoteRecord[] } | null {
  const list = msg.type === "pixels_updated" && Array.isArray(msg.updates) ? msg.updates : msg.type === "pixel_updated" ? [msg] : null;
  if (!list || list.length === 0 || list.length > REDIS_PIXEL_UPDATES_MAX) return null;
  if (typeof msg.origin !== "string" || msg.board !== board) return null;
  const records: RemoteRecord[] = [];
  for (const item of list as unknown[]) {
    if (typeof item !== "object" || item === null) return null;
    const u = item as Record<string, unknown>;
    if (!isInt(u.seq, 1, MAX_SEQ) || !isInt(u.x, 0, bounds.width - 1) || !isInt(u.y, 0, bounds.height - 1)) return null;
    if (!isInt(u.color, 0, PALETTE_SIZE - 1) || !isInt(u.timestamp, 0, Number.MAX_SAFE_INTEGER)) return null;
    if (typeof u.userId !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(u.userId) || u.board !== board) return null;
    records.push({ seq: u.seq, x: u.x, y: u.y, color: u.color, userId: u.userId, placedAt: u.timestamp });
  }
  return { origin: msg.origin, records };
}

export class PixelChannel {
  constructor(
    private readonly link: RedisLink,
    private readonly signer: Signer,
    private readonly instanceId: string,
    private readonly log: Logger,
  ) {}

  /** Publish a commit group (fire-and-forget: a failure is counted; other replicas catch up from the database). */
  publish(board: string, records: readonly CommittedPlacement[]): void {
    if (records.length === 0) return;
    void this.link.publish(pixelChannel(board), PIXEL_KIND, this.signer.sign(pixelMessage(board, records, this.instanceId)));
  }

  /**
   * Follow a board's placements from other replicas. Resolves once subscribed (or at once while Redis
   * is down); the returned function stops following.
   */
  follow(board: string, bounds: Bounds, onRecords: (records: RemoteRecord[]) => void): Promise<() => Promise<void>> {
    const counters = this.link.channel(PIXEL_KIND);
    return this.link.subscribe(pixelChannel(board), PIXEL_KIND, (text) => {
      const verified = this.signer.verify(text);
      const msg = verified && readPixelMessage(verified, board, bounds);
      if (!msg) {
        counters.rejected++;
        this.log.warn({ board, bytes: text.length }, verified ? "dropped an out-of-range pixel-updates message" : "dropped an unsigned or forged pixel-updates message");
        return;
      }
      if (msg.origin === this.instanceId) return; // our own clients were served directly
      onRecords(msg.records);
    });
  }
}
