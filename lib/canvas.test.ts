import { describe, expect, it } from "vitest";
import { Board } from "./canvas";
import { prng } from "../test/prng";


function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

interface Rec {
  seq: number;
  x: number;
  y: number;
  color: number;
}

/** Records with seqs 1…n on a small board, so many pixels are written several times. */
function randomRecords(n: number, width: number, height: number, rand: () => number): Rec[] {
  const out: Rec[] = [];
  for (let seq = 1; seq <= n; seq++) {
    out.push({
      seq,
      x: Math.floor(rand() * width),
      y: Math.floor(rand() * height),
      color: 1 + Math.floor(rand() * 31),
    });
  }
  return out;
}

describe("Board basics", () => {
  it("starts empty at seq 0 with no gap", () => {
    const b = new Board(4, 3);
    expect(b.width).toBe(4);
    expect(b.height).toBe(3);
    expect(b.pixels).toEqual(new Uint8Array(12));
    expect(b.seq).toBe(0);
    expect(b.maxSeq).toBe(0);
    expect(b.hasGap).toBe(false);
  });

  it("applies a placement at row-major index y*width+x", () => {
    const b = new Board(4, 3);
    expect(b.apply(1, 3, 2, 9)).toBe(true);
    expect(b.get(3, 2)).toBe(9);
    expect(b.pixels[2 * 4 + 3]).toBe(9);
    expect([...b.pixels].filter((v) => v !== 0)).toEqual([9]);
  });

  it("contains() accepts only integer coordinates on the board", () => {
    const b = new Board(4, 3);
    expect(b.contains(0, 0)).toBe(true);
    expect(b.contains(3, 2)).toBe(true);
    expect(b.contains(4, 0)).toBe(false);
    expect(b.contains(0, 3)).toBe(false);
    expect(b.contains(-1, 0)).toBe(false);
    expect(b.contains(0, -1)).toBe(false);
    expect(b.contains(1.5, 0)).toBe(false);
    expect(b.contains(0, Number.NaN)).toBe(false);
  });
});

describe("last-writer-wins by seq", () => {
  it("a higher seq overwrites a lower one on the same pixel", () => {
    const b = new Board(2, 2);
    b.apply(1, 0, 0, 5);
    b.apply(2, 0, 0, 7);
    expect(b.get(0, 0)).toBe(7);
  });

  it("a lower seq arriving late does not overwrite a higher one, but still counts as new", () => {
    const b = new Board(2, 2);
    expect(b.apply(2, 1, 1, 7)).toBe(true);
    expect(b.apply(1, 1, 1, 5)).toBe(true);
    expect(b.get(1, 1)).toBe(7);
    expect(b.seq).toBe(2);
  });
});

describe("seq watermark", () => {
  it("advances over a contiguous prefix", () => {
    const b = new Board(2, 2);
    b.apply(1, 0, 0, 1);
    b.apply(2, 1, 0, 2);
    b.apply(3, 0, 1, 3);
    expect(b.seq).toBe(3);
    expect(b.maxSeq).toBe(3);
    expect(b.hasGap).toBe(false);
  });

  it("stops at a gap and closes it when the missing seq arrives", () => {
    const b = new Board(2, 2);
    b.apply(1, 0, 0, 1);
    b.apply(3, 1, 0, 3);
    b.apply(5, 0, 1, 5);
    expect(b.seq).toBe(1);
    expect(b.maxSeq).toBe(5);
    expect(b.hasGap).toBe(true);
    expect(b.has(3)).toBe(true);
    expect(b.has(2)).toBe(false);

    b.apply(2, 1, 1, 2);
    expect(b.seq).toBe(3);
    expect(b.hasGap).toBe(true);

    b.apply(4, 1, 1, 4);
    expect(b.seq).toBe(5);
    expect(b.maxSeq).toBe(5);
    expect(b.hasGap).toBe(false);
  });

  it("does not advance when only higher seqs arrive", () => {
    const b = new Board(2, 2);
    b.apply(2, 0, 0, 1);
    b.apply(3, 0, 0, 1);
    expect(b.seq).toBe(0);
    expect(b.maxSeq).toBe(3);
    expect(b.hasGap).toBe(true);
  });
});

describe("duplicates", () => {
  it("returns false for a seq below the watermark and leaves pixels alone", () => {
    const b = new Board(2, 2);
    expect(b.apply(1, 0, 0, 4)).toBe(true);
    expect(b.apply(1, 0, 0, 9)).toBe(false);
    expect(b.get(0, 0)).toBe(4);
  });

  it("returns false for a seq already applied above the watermark", () => {
    const b = new Board(2, 2);
    expect(b.apply(3, 1, 1, 4)).toBe(true);
    expect(b.apply(3, 1, 1, 9)).toBe(false);
    expect(b.get(1, 1)).toBe(4);
    expect(b.seq).toBe(0);
    expect(b.maxSeq).toBe(3);
  });
});

describe("out-of-board records", () => {
  it.each([
    [-1, 0],
    [0, -1],
    [3, 0],
    [0, 2],
    [100, 100],
    [0.5, 0],
  ])("paints nothing for (%d, %d) on a 3x2 board but counts the seq as seen", (x, y) => {
    const b = new Board(3, 2);
    expect(b.apply(1, x, y, 7)).toBe(true);
    expect(b.pixels).toEqual(new Uint8Array(6));
    expect(b.has(1)).toBe(true);
    expect(b.seq).toBe(1);
    expect(b.maxSeq).toBe(1);
    expect(b.apply(1, x, y, 7)).toBe(false);
  });

  it("does not wrap x past the row end onto the next row", () => {
    const b = new Board(3, 2);
    b.apply(1, 3, 0, 7); // index 3 would be (0, 1) if unchecked
    expect(b.get(0, 1)).toBe(0);
  });
});

describe("load()", () => {
  it("replaces pixels and sets seq and maxSeq to the snapshot seq", () => {
    const b = new Board(2, 2);
    b.apply(1, 0, 0, 3);
    b.apply(5, 1, 1, 3); // leaves a gap open
    b.load(Uint8Array.from([1, 2, 3, 4]), 10);
    expect([...b.pixels]).toEqual([1, 2, 3, 4]);
    expect(b.seq).toBe(10);
    expect(b.maxSeq).toBe(10);
    expect(b.hasGap).toBe(false);
  });

  it("ignores records with seq ≤ snapshot seq and applies later ones", () => {
    const b = new Board(2, 2);
    b.load(Uint8Array.from([1, 2, 3, 4]), 10);
    expect(b.apply(10, 0, 0, 9)).toBe(false);
    expect(b.apply(3, 1, 0, 9)).toBe(false);
    expect([...b.pixels]).toEqual([1, 2, 3, 4]);
    expect(b.has(7)).toBe(true);

    expect(b.apply(11, 0, 0, 9)).toBe(true);
    expect([...b.pixels]).toEqual([9, 2, 3, 4]);
    expect(b.seq).toBe(11);
  });

  it("lets a post-snapshot record overwrite a snapshot pixel even with a gap before it", () => {
    const b = new Board(2, 2);
    b.load(Uint8Array.from([1, 2, 3, 4]), 10);
    expect(b.apply(13, 1, 1, 8)).toBe(true);
    expect(b.get(1, 1)).toBe(8);
    expect(b.seq).toBe(10);
    expect(b.maxSeq).toBe(13);
  });

  it("forgets seqs that were applied above the old watermark", () => {
    const b = new Board(2, 2);
    b.apply(20, 0, 0, 5);
    b.load(new Uint8Array(4), 10);
    expect(b.has(20)).toBe(false);
    expect(b.apply(20, 0, 0, 5)).toBe(true);
    expect(b.get(0, 0)).toBe(5);
  });

  it("throws when the snapshot size does not match the board", () => {
    const b = new Board(2, 2);
    expect(() => b.load(new Uint8Array(3), 1)).toThrow(/3 bytes.*4/);
  });
});

describe("arrival order does not matter", () => {
  const W = 5;
  const H = 4;
  const N = 200;
  const TRIALS = 100;

  function inOrder(records: readonly Rec[]): Board {
    const b = new Board(W, H);
    for (const r of records) expect(b.apply(r.seq, r.x, r.y, r.color)).toBe(true);
    return b;
  }

  it("any permutation (with duplicates) yields the in-order pixels and watermark", () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const rand = prng(1000 + trial);
      const records = randomRecords(N, W, H, rand);
      const expected = inOrder(records);

      // Every record once, plus a random third of them a second time.
      const stream = shuffle([...records, ...records.filter(() => rand() < 0.33)], rand);
      const b = new Board(W, H);
      let fresh = 0;
      for (const r of stream) if (b.apply(r.seq, r.x, r.y, r.color)) fresh++;

      expect(fresh, `trial ${trial}`).toBe(N);
      expect(b.pixels, `trial ${trial}`).toEqual(expected.pixels);
      expect(b.seq).toBe(N);
      expect(b.maxSeq).toBe(N);
      expect(b.hasGap).toBe(false);
    }
  });

  it("a snapshot at any seq plus a permutation of all records yields the same pixels", () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const rand = prng(5000 + trial);
      const records = randomRecords(N, W, H, rand);
      const expected = inOrder(records);

      const cut = Math.floor(rand() * (N + 1));
      const snapshot = inOrder(records.slice(0, cut));
      const b = new Board(W, H);
      b.load(snapshot.pixels, cut);

      let fresh = 0;
      for (const r of shuffle(records, rand)) if (b.apply(r.seq, r.x, r.y, r.color)) fresh++;

      expect(fresh, `trial ${trial}, cut ${cut}`).toBe(N - cut);
      expect(b.pixels, `trial ${trial}, cut ${cut}`).toEqual(expected.pixels);
      expect(b.seq).toBe(N);
      expect(b.hasGap).toBe(false);
    }
  });

  it("the watermark after any prefix of a permutation is the longest gap-free prefix", () => {
    const rand = prng(42);
    const records = randomRecords(N, W, H, rand);
    const order = shuffle(records, rand);
    const b = new Board(W, H);
    const seen = new Set<number>();
    let max = 0;
    for (const r of order) {
      b.apply(r.seq, r.x, r.y, r.color);
      seen.add(r.seq);
      max = Math.max(max, r.seq);
      let expectedSeq = 0;
      while (seen.has(expectedSeq + 1)) expectedSeq++;
      expect(b.seq).toBe(expectedSeq);
      expect(b.maxSeq).toBe(max);
      expect(b.hasGap).toBe(max > expectedSeq);
    }
  });
});
