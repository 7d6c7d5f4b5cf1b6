import { describe, expect, it } from "vitest";
import { prng as rng } from "../../test/prng";
import { encodePixels, type PixelRecord } from "../protocol";
import { type HistorySource, playbackRate, Replayer, sampleSeqs, Superseded, TimeMap, TIMELAPSE_BASE_PLAY_MS } from "./timelapse";

/** A board's history held in memory, answering as the HTTP API does (dense seqs from 1). */
class MemoryHistory implements HistorySource {
  readonly records: PixelRecord[] = [];
  readonly times: number[] = [];
  calls = { canvasAt: 0, placements: 0, placedAt: 0 };

  constructor(
    readonly width: number,
    readonly height: number,
    count: number,
    seed: number,
  ) {
    const r = rng(seed);
    let t = 1_700_000_000_000;
    for (let seq = 1; seq <= count; seq++) {
      // Bursts and lulls, so time is far from linear in seq.
      t += r() < 0.1 ? Math.floor(r() * 600_000) : Math.floor(r() * 500);
      this.records.push({ seq, x: Math.floor(r() * width), y: Math.floor(r() * height), color: Math.floor(r() * 32) });
      this.times.push(t);
    }
  }

  boardAt(seq: number): Uint8Array {
    const b = new Uint8Array(this.width * this.height);
    for (const p of this.records) {
      if (p.seq > seq) break;
      b[p.y * this.width + p.x] = p.color;
    }
    return b;
  }

  async info() {
    return { width: this.width, height: this.height, seq: this.records.length };
  }
  async canvasAt(seq: number) {
    this.calls.canvasAt++;
    return this.boardAt(seq);
  }
  async placements(after: number, limit: number) {
    this.calls.placements++;
    const page = this.records.slice(after, after + limit);
    return page.length ? encodePixels(page) : new Uint8Array([1]);
  }
  async placedAt(seq: number) {
    this.calls.placedAt++;
    return this.times[seq - 1];
  }
}

describe("Replayer", () => {
  it("shows exactly the board after any seq, going forwards and backwards", async () => {
    const seed = 20260301;
    const h = new MemoryHistory(16, 12, 5_000, seed);
    const rep = new Replayer(16, 12, 5_000, h, { pagePlacements: 300 });
    const r = rng(seed + 1);
    const targets = [0, 1, 299, 300, 301, 5_000, 4_999, 2_500, 2_501, 0, 5_000];
    for (let i = 0; i < 60; i++) targets.push(Math.floor(r() * 5_001));
    for (const t of targets) {
      await rep.goTo(t);
      expect(rep.seq, `seed ${seed}, target ${t}`).toBe(t);
      expect(Buffer.from(rep.pixels).equals(Buffer.from(h.boardAt(t))), `seed ${seed}, board at ${t}`).toBe(true);
    }
  });

  it("plays forward from pages, each fetched once, and reports every changed pixel", async () => {
    const h = new MemoryHistory(32, 32, 3_000, 7);
    const drawn = new Uint8Array(32 * 32);
    const rep = new Replayer(32, 32, 3_000, h, {
      pagePlacements: 1_000,
      onPixel: (i, c) => (drawn[i] = c),
      onReset: () => drawn.set(rep.pixels),
    });
    for (let t = 0; t <= 3_000; t += 37) await rep.goTo(t);
    await rep.goTo(3_000);
    expect(h.calls.placements).toBe(3);
    expect(h.calls.canvasAt).toBe(0);
    expect(Buffer.from(drawn).equals(Buffer.from(h.boardAt(3_000)))).toBe(true);
  });

  it("jumps far with one snapshot instead of replaying, and back through a kept keyframe", async () => {
    // 10×10 board: a snapshot is 100 bytes, so replaying more than a page is never worth it.
    const h = new MemoryHistory(10, 10, 50_000, 11);
    const rep = new Replayer(10, 10, 50_000, h);
    await rep.goTo(40_000);
    expect(h.calls.canvasAt).toBe(1);
    expect(h.calls.placements).toBe(0);
    await rep.goTo(40_500);
    await rep.goTo(40_010); // back a little: from the keyframe at 40,000
    expect(h.calls.canvasAt).toBe(1);
    expect(rep.stats.keyframesUsed).toBeGreaterThan(0);
    expect(Buffer.from(rep.pixels).equals(Buffer.from(h.boardAt(40_010)))).toBe(true);
  });

  it("lets the newest seek win", async () => {
    const h = new MemoryHistory(8, 8, 2_000, 3);
    const rep = new Replayer(8, 8, 2_000, h, { pagePlacements: 1_000 });
    const first = rep.goTo(1_500);
    const second = rep.goTo(200);
    await expect(first).rejects.toBeInstanceOf(Superseded);
    await second;
    expect(rep.seq).toBe(200);
    expect(Buffer.from(rep.pixels).equals(Buffer.from(h.boardAt(200)))).toBe(true);
  });

  it("refuses a history with a hole instead of showing a wrong board", async () => {
    const h = new MemoryHistory(8, 8, 100, 5);
    h.records.splice(40, 1);
    const rep = new Replayer(8, 8, 100, h, { pagePlacements: 1_000 });
    await expect(rep.goTo(90)).rejects.toThrow(/skips from #40 to #42/);
  });

  it("clamps targets to the history", async () => {
    const h = new MemoryHistory(4, 4, 50, 9);
    const rep = new Replayer(4, 4, 50, h);
    await rep.goTo(10_000);
    expect(rep.seq).toBe(50);
    await rep.goTo(-3);
    expect(rep.seq).toBe(0);
    expect(rep.pixels.every((p) => p === 0)).toBe(true);
  });
});

describe("TimeMap", () => {
  const samples = [
    { seq: 1, t: 1_000 },
    { seq: 101, t: 2_000 },
    { seq: 201, t: 12_000 },
  ];

  it("interpolates seq from time and back between samples", () => {
    const m = new TimeMap(samples);
    expect(m.seqAt(999)).toBe(0);
    expect(m.seqAt(1_000)).toBe(1);
    expect(m.seqAt(1_500)).toBe(51);
    expect(m.seqAt(7_000)).toBe(151);
    expect(m.seqAt(12_000)).toBe(201);
    expect(m.seqAt(99_999)).toBe(201);
    expect(m.timeAt(151)).toBe(7_000);
    expect(m.timeAt(0)).toBe(1_000);
    expect(m.start).toBe(1_000);
    expect(m.end).toBe(12_000);
  });

  it("never runs backwards when a clock stepped back", () => {
    const m = new TimeMap([
      { seq: 1, t: 5_000 },
      { seq: 10, t: 4_000 },
      { seq: 20, t: 6_000 },
    ]);
    for (let t = 4_000; t < 6_100; t += 100) expect(m.seqAt(t + 100)).toBeGreaterThanOrEqual(m.seqAt(t));
  });

  it("finds the exact last seq placed at or before a time in a few questions", async () => {
    const h = new MemoryHistory(8, 8, 10_000, 42);
    const seqs = sampleSeqs(10_000, 48);
    const m = new TimeMap(seqs.map((seq) => ({ seq, t: h.times[seq - 1] })));
    const r = rng(43);
    for (let i = 0; i < 30; i++) {
      const t = h.times[0] + Math.floor(r() * (h.times[9_999] - h.times[0]));
      h.calls.placedAt = 0;
      const seq = await m.exactSeqAt(t, (s) => h.placedAt(s));
      const expected = h.times.filter((x) => x <= t).length;
      expect(seq, `time ${t}`).toBe(expected);
      expect(h.calls.placedAt).toBeLessThanOrEqual(10);
    }
  });
});

describe("sampleSeqs", () => {
  it("spreads samples over the history, ends included, no repeats", () => {
    expect(sampleSeqs(0, 5)).toEqual([]);
    expect(sampleSeqs(1, 5)).toEqual([1]);
    expect(sampleSeqs(3, 10)).toEqual([1, 2, 3]);
    expect(sampleSeqs(101, 5)).toEqual([1, 26, 51, 76, 101]);
  });
});

describe("playbackRate", () => {
  it("plays the whole history in the base time at speed 1", () => {
    const span = 3_600_000;
    expect(playbackRate(span, 1) * TIMELAPSE_BASE_PLAY_MS).toBe(span);
    expect(playbackRate(span, 2)).toBe(2 * playbackRate(span, 1));
  });
});
