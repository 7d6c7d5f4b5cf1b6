// One board loaded on this replica: its state (board image, replay ring, tick fan-out — the hub),
// the local connections that follow it, and what goes to them besides pixels (a user's cooldown
// in all their tabs, presence pushes, cursors). Rooms are made and dropped by `Rooms`.

import type { PixelRecord } from "../../lib/protocol";
import type { BoardRow } from "../canvas/store";
import { type HubOptions, PixelHub, type PixelSink } from "./pixel-hub";

/** A local connection as the room sees it. */
export interface RoomMember extends PixelSink {
  readonly userId: string;
  /** Send an already-encoded JSON text frame. */
  sendText(text: string): void;
}

/** A record plus, when known, who placed it and when (committed here, from Redis, or read back). */
export type RoomRecord = PixelRecord & { userId?: string; placedAt?: number };

export class Room {
  readonly hub: PixelHub;
  private readonly members = new Set<RoomMember>();
  private readonly byUser = new Map<string, Set<RoomMember>>();

  constructor(
    /** The board's row when it was loaded (size, palette and cooldown never change). */
    readonly meta: BoardRow,
    hub: HubOptions = {},
  ) {
    this.hub = new PixelHub(meta.width, meta.height, hub);
  }

  get id(): string {
    return this.meta.id;
  }

  /** Highest seq such that every placement up to it is on the board. */
  get seq(): number {
    return this.hub.board.seq;
  }

  get memberCount(): number {
    return this.members.size;
  }

  /** Register a connection; it receives every record ingested from now on. */
  add(member: RoomMember): void {
    this.members.add(member);
    this.hub.addSink(member);
    let set = this.byUser.get(member.userId);
    if (!set) {
      set = new Set();
      this.byUser.set(member.userId, set);
    }
    set.add(member);
  }

  remove(member: RoomMember): void {
    if (!this.members.delete(member)) return;
    this.hub.removeSink(member);
    const set = this.byUser.get(member.userId);
    set?.delete(member);
    if (set?.size === 0) this.byUser.delete(member.userId);
  }

  /** Connections of one user on this board (their tabs on this replica). */
  tabsOf(userId: string): ReadonlySet<RoomMember> | undefined {
    return this.byUser.get(userId);
  }

  /** Every member (presence pushes, shutdown). */
  all(): Iterable<RoomMember> {
    return this.members;
  }

  /** Send one encoded text frame to every member. */
  broadcast(text: string): void {
    for (const m of this.members) m.sendText(text);
  }

  /**
   * Apply records and deliver the new ones. A new placement of a user who has tabs here tells those
   * tabs their cooldown at once (SPEC §11) — whichever replica or tab it came from.
   */
  ingest(records: readonly RoomRecord[]): number {
    const cooldownMs = this.meta.cooldownMs;
    return this.hub.ingest(records, (r) => {
      if (cooldownMs <= 0 || r.userId === undefined || r.placedAt === undefined) return;
      const tabs = this.byUser.get(r.userId);
      if (!tabs) return;
      const text = JSON.stringify({ type: "cooldown", board: this.meta.id, cooldownUntil: r.placedAt + cooldownMs });
      for (const t of tabs) t.sendText(text);
    });
  }

  close(): void {
    this.hub.close();
  }
}
