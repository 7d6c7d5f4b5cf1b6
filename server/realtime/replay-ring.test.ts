import { describe, expect, it } from "vitest";
import type { PixelRecord } from "../../lib/protocol";
import { ReplayRing } from "./replay-ring";

/** A deterministic record for a seq, so expectations can be computed. */
const rec = (seq: number): PixelRecord => ({ seq, x: seq % 1000, y: (seq * 7) % 65536, color: seq % 32 });

function fill(ring: ReplayRing, seqs: Iterable<number>): void {
  for (const s of seqs) {
    const r = rec(s);
    ring.put(r.seq, r.x, r.y, r.color);
  }
}

const seqRange = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("ReplayRing", () => {
  it("returns the records in (after, upTo] in seq order", () => {
    const ring = new ReplayRing(16);
    fill(ring, seqRange(1, 10));
    expect(ring.range(3, 7)).toEqual(seqRange(4, 7).map(rec));
    expect(ring.range(0, 10)).toEqual(seqRange(1, 10).map(rec));
    expect(ring.range(10, 10)).toEqual([]);
  });

  it("returns records in seq order even when they were put out of order", () => {
    const ring = new ReplayRing(16);
    fill(ring, [5, 2, 9, 1, 3]);
    expect(ring.range(0, 9)).toEqual([1, 2, 3, 5, 9].map(rec));
  });

  it("skips seqs that were never put", () => {
    const ring = new ReplayRing(16);
    fill(ring, [1, 2, 4, 7]);
    expect(ring.range(0, 8).map((r) => r.seq)).toEqual([1, 2, 4, 7]);
    expect(ring.range(2, 6).map((r) => r.seq)).toEqual([4]);
  });

  it("keeps full field ranges (u16 x/y, u8 colour, large seqs)", () => {
    const ring = new ReplayRing(4);
    ring.put(2 ** 32 - 1, 65535, 65535, 255);
    expect(ring.range(2 ** 32 - 2, 2 ** 32 - 1)).toEqual([{ seq: 2 ** 32 - 1, x: 65535, y: 65535, color: 255 }]);
  });

  it("wraps around the capacity and overwrites older seqs", () => {
    const ring = new ReplayRing(8);
    fill(ring, seqRange(1, 20));
    // Only the last 8 seqs (13…20) survive.
    expect(ring.range(0, 20)).toEqual(seqRange(13, 20).map(rec));
    expect(ring.range(12, 20)).toEqual(seqRange(13, 20).map(rec));
    expect(ring.range(15, 18)).toEqual(seqRange(16, 18).map(rec));
    // Seq 5 shared its slot with 13: it is gone, not confused with 13.
    expect(ring.range(4, 5)).toEqual([]);
  });

  it("does not let an older record evict a newer one in the same slot", () => {
    const ring = new ReplayRing(8);
    fill(ring, [12]);
    fill(ring, [4]); // same slot (4 mod 8), arrives late
    expect(ring.range(0, 12)).toEqual([rec(12)]);
  });

  it("covers() is true exactly when the span fits in the capacity", () => {
    const ring = new ReplayRing(8);
    expect(ring.covers(0, 8)).toBe(true);
    expect(ring.covers(0, 9)).toBe(false);
    expect(ring.covers(12, 20)).toBe(true);
    expect(ring.covers(11, 20)).toBe(false);
    expect(ring.covers(20, 20)).toBe(true);
  });

  it("range() over a covered span ending at the newest seq returns every record", () => {
    const ring = new ReplayRing(8);
    fill(ring, seqRange(1, 30));
    for (let after = 22; after <= 30; after++) {
      expect(ring.covers(after, 30)).toBe(true);
      expect(ring.range(after, 30)).toEqual(seqRange(after + 1, 30).map(rec));
    }
    expect(ring.covers(21, 30)).toBe(false);
  });
});
