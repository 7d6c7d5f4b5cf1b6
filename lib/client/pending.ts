// Optimistic placements: a pixel the user placed is drawn at once, before the server answers.
// An override lives until the board itself shows the outcome: the placement's own record (or a
// later one on that pixel) arrived, or it was rejected, timed out, or its socket closed unanswered.

import type { Board } from "../canvas";

interface Pending {
  ref: string;
  index: number;
  color: number;
  sentAt: number;
  /** Seq from the `ack`; null until then. */
  seq: number | null;
}

export class PendingPlacements {
  private readonly byRef = new Map<string, Pending>();
  /** The newest pending placement of each pixel. */
  private readonly byIndex = new Map<number, Pending>();

  get size(): number {
    return this.byRef.size;
  }

  /** Placements sent but neither acked nor rejected yet. */
  get unacked(): number {
    let n = 0;
    for (const p of this.byRef.values()) if (p.seq === null) n++;
    return n;
  }

  add(ref: string, index: number, color: number, now: number): void {
    const p: Pending = { ref, index, color, sentAt: now, seq: null };
    this.byRef.set(ref, p);
    this.byIndex.set(index, p);
  }

  /** The optimistic colour of a pixel, or undefined when the board's own colour applies. */
  colorAt(index: number): number | undefined {
    return this.byIndex.get(index)?.color;
  }

  /** Every active override (pixel index → colour), for a full redraw. */
  overrides(): IterableIterator<[number, Pending]> {
    return this.byIndex.entries();
  }

  /** The placement is committed as `seq`. Returns the pixel index when its override ended. */
  ack(ref: string | null, seq: number, board: Board | null): number | null {
    const p = ref === null ? undefined : this.byRef.get(ref);
    if (!p) return null;
    p.seq = seq;
    if (board?.has(seq)) return this.remove(p);
    return null;
  }

  /** The placement was refused. Returns the pixel index whose override ended. */
  reject(ref: string | null): number | null {
    const p = ref === null ? undefined : this.byRef.get(ref);
    return p ? this.remove(p) : null;
  }

  /** A record was applied to the board. Returns true when it ended the override of its pixel. */
  onRecord(index: number, seq: number): boolean {
    const p = this.byIndex.get(index);
    if (!p || p.seq === null || seq < p.seq) return false;
    this.remove(p);
    return true;
  }

  /** A snapshot was loaded: overrides whose acked seq it covers end. Returns their indices. */
  afterLoad(board: Board): number[] {
    const ended: number[] = [];
    for (const p of [...this.byRef.values()]) {
      if (p.seq !== null && board.has(p.seq)) {
        const i = this.remove(p);
        if (i !== null) ended.push(i);
      }
    }
    return ended;
  }

  /** The socket closed: unanswered placements are rolled back (a `sync` brings any that committed). */
  dropUnacked(): { indices: number[]; count: number } {
    const indices: number[] = [];
    let count = 0;
    for (const p of [...this.byRef.values()]) {
      if (p.seq !== null) continue;
      count++;
      const i = this.remove(p);
      if (i !== null) indices.push(i);
    }
    return { indices, count };
  }

  /** Overrides older than `maxAgeMs` end (acked ones too: the board is authoritative). */
  expire(now: number, maxAgeMs: number): { indices: number[]; unacked: number } {
    const indices: number[] = [];
    let unacked = 0;
    for (const p of [...this.byRef.values()]) {
      if (now - p.sentAt < maxAgeMs) continue;
      if (p.seq === null) unacked++;
      const i = this.remove(p);
      if (i !== null) indices.push(i);
    }
    return { indices, unacked };
  }

  clear(): void {
    this.byRef.clear();
    this.byIndex.clear();
  }

  /** Forget `p`; returns its pixel index when that pixel's shown override changed. */
  private remove(p: Pending): number | null {
    this.byRef.delete(p.ref);
    if (this.byIndex.get(p.index) !== p) return null;
    // An older pending placement on the same pixel (if any) shows again.
    let older: Pending | undefined;
    for (const q of this.byRef.values()) if (q.index === p.index && (!older || q.sentAt >= older.sentAt)) older = q;
    if (older) this.byIndex.set(p.index, older);
    else this.byIndex.delete(p.index);
    return p.index;
  }
}
