// Live cursors (SPEC §11): volatile, never stored or replayed. Pointer positions arrive from local
// connections (`cursor`, already rate-limited by the gateway) and from other replicas (one batch per
// board per tick through Redis); every CURSOR_TICK_MS each viewer — a connection that sent a `view` —
// gets the other users' cursors that changed inside its view, and `gone` for those that left it,
// went idle for CURSOR_IDLE_MS or whose user left. At most CURSORS_PER_FRAME per frame; the rest
// follow on the next ticks. A board's timer runs only while it has cursors or viewers.

import { CURSOR_IDLE_MS, CURSOR_TICK_MS, CURSORS_PER_FRAME } from "../../lib/limits";
import type { PublicUser } from "../../lib/protocol";

/** A connection as cursors see it. */
export interface CursorMember {
  readonly user: PublicUser;
  readonly board: string;
  sendText(text: string): void;
}

/** One move as it crosses replicas: a position, or gone. */
export type CursorMove = { id: string; name: string; x: number; y: number } | { id: string; gone: true };

/** How local moves reach other replicas (the Redis cursor channel); null in single-instance mode. */
export interface CursorRelay {
  publish(board: string, moves: CursorMove[]): void;
}

interface Position {
  name: string;
  x: number;
  y: number;
  /** performance.now() of the last move. */
  at: number;
  /** Bumped on every move: what a viewer was last sent is compared by it. */
  version: number;
  /** The entry's JSON, made once per version. */
  json: string;
  /** Local connections of this user pointing here (0 for a remote cursor). */
  local: number;
}

interface Viewer {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Cursor id → version last sent to this viewer. */
  sent: Map<string, number>;
  /** The view changed: compare every cursor on the next tick, not only the changed ones. */
  full: boolean;
  /**
   * The first cursor the per-frame cap held back: the next full comparison starts there, so with
   * more than CURSORS_PER_FRAME moving in view every one of them takes its turn (without it the
   * same first ones would win every tick and the rest would never be drawn).
   */
  resume: string | null;
}

class BoardCursors {
  readonly positions = new Map<string, Position>();
  readonly viewers = new Map<CursorMember, Viewer>();
  /** Cursor ids changed (moved, new, gone) since the last tick. */
  readonly changed = new Set<string>();
  /** Moves of local users since the last tick, for the other replicas. */
  readonly outgoing = new Map<string, CursorMove>();
  timer: NodeJS.Timeout | null = null;
}

let versions = 0;

export class Cursors {
  private readonly boards = new Map<string, BoardCursors>();

  constructor(private readonly relay: CursorRelay | null) {}

  /** The connection shows this rectangle of its board (inclusive). */
  view(member: CursorMember, rect: { x0: number; y0: number; x1: number; y1: number }): void {
    const b = this.board(member.board);
    const v = b.viewers.get(member);
    const next = { x0: Math.min(rect.x0, rect.x1), y0: Math.min(rect.y0, rect.y1), x1: Math.max(rect.x0, rect.x1), y1: Math.max(rect.y0, rect.y1) };
    if (v) Object.assign(v, next, { full: true });
    else b.viewers.set(member, { ...next, sent: new Map(), full: true, resume: null });
    this.schedule(member.board, b);
  }

  /** The connection's pointer moved to (x, y) on its board, or left it (null). */
  move(member: CursorMember, pos: { x: number; y: number } | null): void {
    const b = this.board(member.board);
    const id = member.user.id;
    if (pos === null) {
      this.remove(b, id, true);
    } else {
      const p = this.place(b, id, member.user.name, pos.x, pos.y);
      if (p.local === 0) p.local = 1;
      b.outgoing.set(id, { id, name: member.user.name, x: pos.x, y: pos.y });
    }
    this.schedule(member.board, b);
  }

  /** The connection closed. */
  leave(member: CursorMember): void {
    const b = this.boards.get(member.board);
    if (!b) return;
    b.viewers.delete(member);
    // Its user's cursor goes with it (another tab moving again brings it back).
    if (b.positions.get(member.user.id)?.local) this.remove(b, member.user.id, true);
    this.schedule(member.board, b);
  }

  /** Moves from another replica (verified and bounded by the cursor channel). */
  remote(board: string, moves: readonly CursorMove[]): void {
    // Kept even before anyone here sends a view: a cursor standing still is shown when one does.
    const b = this.board(board);
    for (const m of moves) {
      if ("gone" in m) {
        if (!b.positions.get(m.id)?.local) this.remove(b, m.id, false);
      } else {
        this.place(b, m.id, m.name, m.x, m.y);
      }
    }
    this.schedule(board, b);
  }

  private board(id: string): BoardCursors {
    let b = this.boards.get(id);
    if (!b) {
      b = new BoardCursors();
      this.boards.set(id, b);
    }
    return b;
  }

  private place(b: BoardCursors, id: string, name: string, x: number, y: number): Position {
    let p = b.positions.get(id);
    if (!p) {
      p = { name, x, y, at: 0, version: 0, json: "", local: 0 };
      b.positions.set(id, p);
    }
    p.name = name;
    p.x = x;
    p.y = y;
    p.at = performance.now();
    p.version = ++versions;
    p.json = JSON.stringify({ id, name, x, y });
    b.changed.add(id);
    return p;
  }

  private remove(b: BoardCursors, id: string, announce: boolean): void {
    if (!b.positions.delete(id)) return;
    b.changed.add(id);
    if (announce) b.outgoing.set(id, { id, gone: true });
  }

  private schedule(id: string, b: BoardCursors): void {
    if (b.timer) return;
    b.timer = setTimeout(() => {
      b.timer = null;
      this.tick(id, b);
    }, CURSOR_TICK_MS);
    b.timer.unref();
  }

  private tick(id: string, b: BoardCursors): void {
    const now = performance.now();
    for (const [cid, p] of b.positions) {
      if (now - p.at > CURSOR_IDLE_MS) this.remove(b, cid, p.local > 0);
    }
    if (b.outgoing.size > 0) {
      this.relay?.publish(id, [...b.outgoing.values()]);
      b.outgoing.clear();
    }
    let more = false;
    // The cursor ids in order, made once per tick for every viewer that compares them all.
    let ids: string[] | null = null;
    const allIds = () => (ids ??= [...b.positions.keys()]);
    for (const [member, v] of b.viewers) {
      if (this.sendTo(member, v, b, allIds)) more = true;
    }
    b.changed.clear();
    if (more || b.positions.size > 0 || b.outgoing.size > 0) this.schedule(id, b);
    else if (b.viewers.size === 0) this.boards.delete(id);
  }

  /** Send one viewer what changed in its view; true when more is left for the next tick. */
  private sendTo(member: CursorMember, v: Viewer, b: BoardCursors, allIds: () => readonly string[]): boolean {
    const own = member.user.id;
    const entries: string[] = [];
    const gone: string[] = [];
    let more = false;
    const consider = (cid: string) => {
      if (cid === own) return;
      const p = b.positions.get(cid);
      const inView = p !== undefined && p.x >= v.x0 && p.x <= v.x1 && p.y >= v.y0 && p.y <= v.y1;
      if (inView) {
        if (v.sent.get(cid) === p.version) return;
        if (entries.length >= CURSORS_PER_FRAME) {
          if (!more) v.resume = cid;
          more = true;
          return;
        }
        entries.push(p.json);
        v.sent.set(cid, p.version);
      } else if (v.sent.delete(cid)) {
        gone.push(cid);
      }
    };
    if (v.full) {
      const ids = allIds();
      const start = v.resume === null ? 0 : Math.max(0, ids.indexOf(v.resume));
      v.resume = null;
      for (let i = 0; i < ids.length; i++) consider(ids[(start + i) % ids.length]);
      for (const cid of [...v.sent.keys()]) if (!b.positions.has(cid)) consider(cid);
      v.full = more;
    } else {
      for (const cid of b.changed) consider(cid);
      // Entries held back by the per-frame cap are still unsent: look at every cursor next time.
      if (more) v.full = true;
    }
    if (entries.length > 0 || gone.length > 0) {
      member.sendText(`{"type":"cursors","cursors":[${entries.join(",")}],"gone":${JSON.stringify(gone)}}`);
    }
    return more;
  }

  close(): void {
    for (const b of this.boards.values()) if (b.timer) clearTimeout(b.timer);
    this.boards.clear();
  }
}
