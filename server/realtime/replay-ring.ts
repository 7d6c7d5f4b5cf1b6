// Recent placements by seq, kept in fixed typed arrays so `sync` replays need no database query.

import type { PixelRecord } from "../../lib/protocol";

/** A seq-indexed ring of the most recent placements (slot = seq mod capacity). */
export class ReplayRing {
  private readonly seqs: Float64Array;
  private readonly xs: Uint16Array;
  private readonly ys: Uint16Array;
  private readonly colors: Uint8Array;

  constructor(readonly capacity: number) {
    this.seqs = new Float64Array(capacity);
    this.xs = new Uint16Array(capacity);
    this.ys = new Uint16Array(capacity);
    this.colors = new Uint8Array(capacity);
  }

  put(seq: number, x: number, y: number, color: number): void {
    const i = seq % this.capacity;
    if (this.seqs[i] > seq) return; // a newer record already owns the slot
    this.seqs[i] = seq;
    this.xs[i] = x;
    this.ys[i] = y;
    this.colors[i] = color;
  }

  /** True when every seq in (after, upTo] that exists can still be served from the ring. */
  covers(after: number, upTo: number): boolean {
    return upTo - after <= this.capacity;
  }

  /** Records with after < seq ≤ upTo that are present, in seq order. */
  range(after: number, upTo: number): PixelRecord[] {
    const out: PixelRecord[] = [];
    for (let seq = Math.max(after + 1, upTo - this.capacity + 1); seq <= upTo; seq++) {
      const i = seq % this.capacity;
      if (this.seqs[i] === seq) out.push({ seq, x: this.xs[i], y: this.ys[i], color: this.colors[i] });
    }
    return out;
  }
}
