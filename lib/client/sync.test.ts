import { describe, expect, it } from "vitest";
import { encodePixels, type PixelRecord } from "../protocol";
import { GAP_SYNC_MS } from "./constants";
import { BoardSync } from "./sync";

const W = 4;
const H = 3;
const blank = () => new Uint8Array(W * H);
const frame = (...records: PixelRecord[]) => encodePixels(records);
const rec = (seq: number, x: number, y: number, color: number): PixelRecord => ({ seq, x, y, color });

function collect(sync: BoardSync, f: Uint8Array): number[] {
  const seen: number[] = [];
  sync.receive(f, (index) => seen.push(index));
  return seen;
}

describe("BoardSync", () => {
  it("buffers records until the first snapshot, then applies the newer ones", () => {
    const s = new BoardSync();
    s.beginLoad();
    expect(collect(s, frame(rec(5, 0, 0, 1), rec(6, 1, 0, 2)))).toEqual([]);
    expect(s.bufferedCount).toBe(2);
    const snap = blank();
    snap[0] = 9; // seq 5 is in the snapshot with a later colour already
    const r = s.finishLoad(snap, 5, W, H);
    expect(r.boardChanged).toBe(true);
    expect(s.board!.get(0, 0)).toBe(9); // record 5 ≤ snapshot seq: ignored
    expect(s.board!.get(1, 0)).toBe(2);
    expect(s.board!.seq).toBe(6);
    expect(s.bufferedCount).toBe(0);
  });

  it("asks for the hole between snapshot and welcome, whichever comes first", () => {
    const a = new BoardSync();
    a.beginLoad();
    expect(a.welcome(10)).toBeNull(); // no board yet
    expect(a.finishLoad(blank(), 7, W, H).syncSince).toBe(7);

    const b = new BoardSync();
    b.beginLoad();
    expect(b.finishLoad(blank(), 7, W, H).syncSince).toBeNull(); // not connected yet
    expect(b.welcome(10)).toBe(7);

    const c = new BoardSync();
    c.beginLoad();
    c.finishLoad(blank(), 12, W, H);
    expect(c.welcome(10)).toBeNull(); // the snapshot is newer than the stream start
  });

  it("keeps the board across a reconnect and syncs from its seq", () => {
    const s = new BoardSync();
    s.beginLoad();
    s.finishLoad(blank(), 3, W, H);
    expect(s.welcome(3)).toBeNull();
    expect(collect(s, frame(rec(4, 2, 1, 5)))).toEqual([1 * W + 2]);
    s.disconnected();
    expect(s.welcome(20)).toBe(4);
    // Replayed and live records may overlap: only new ones are reported.
    expect(collect(s, frame(rec(4, 2, 1, 5), rec(5, 3, 2, 1)))).toEqual([2 * W + 3]);
  });

  it("reloads on resync, buffering meanwhile, and syncs if the snapshot is older", () => {
    const s = new BoardSync();
    s.beginLoad();
    s.finishLoad(blank(), 3, W, H);
    s.welcome(3);
    s.resync(50);
    expect(s.buffering).toBe(true);
    expect(collect(s, frame(rec(51, 0, 0, 4)))).toEqual([]);
    const r = s.finishLoad(blank(), 45, W, H);
    expect(r.boardChanged).toBe(false);
    expect(r.syncSince).toBe(45);
    expect(s.board!.get(0, 0)).toBe(4);
  });

  it("makes a new board when the size changes", () => {
    const s = new BoardSync();
    s.beginLoad();
    s.finishLoad(blank(), 0, W, H);
    const first = s.board;
    s.beginLoad();
    expect(s.finishLoad(new Uint8Array(6), 0, 2, 3).boardChanged).toBe(true);
    expect(s.board).not.toBe(first);
  });

  it("asks again for a hole that stays open", () => {
    const s = new BoardSync();
    s.beginLoad();
    s.finishLoad(blank(), 0, W, H);
    s.welcome(0);
    collect(s, frame(rec(1, 0, 0, 1), rec(3, 1, 0, 1)));
    expect(s.board!.hasGap).toBe(true);
    expect(s.checkGap(1000)).toBeNull();
    expect(s.checkGap(1000 + GAP_SYNC_MS - 1)).toBeNull();
    expect(s.checkGap(1000 + GAP_SYNC_MS)).toBe(1);
    expect(s.checkGap(1000 + GAP_SYNC_MS + 1)).toBeNull(); // not again at once
    collect(s, frame(rec(2, 2, 0, 1)));
    expect(s.board!.hasGap).toBe(false);
    expect(s.checkGap(1e9)).toBeNull();
  });

  it("does not chase gaps while disconnected", () => {
    const s = new BoardSync();
    s.beginLoad();
    s.finishLoad(blank(), 0, W, H);
    s.welcome(0);
    collect(s, frame(rec(2, 0, 0, 1)));
    s.disconnected();
    expect(s.checkGap(0)).toBeNull();
    expect(s.checkGap(1e9)).toBeNull();
  });

  it("rejects malformed frames", () => {
    const s = new BoardSync();
    expect(s.receive(new Uint8Array([1, 2, 3]), () => {})).toBe(-1);
  });
});
