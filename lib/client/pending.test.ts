import { describe, expect, it } from "vitest";
import { Board } from "../canvas";
import { PendingPlacements } from "./pending";

function board(): Board {
  const b = new Board(4, 4);
  b.load(new Uint8Array(16), 10);
  return b;
}

describe("PendingPlacements", () => {
  it("shows the optimistic colour until its own record arrives", () => {
    const p = new PendingPlacements();
    const b = board();
    p.add("r1", 5, 7, 0);
    expect(p.colorAt(5)).toBe(7);
    expect(p.ack("r1", 11, b)).toBeNull(); // record not here yet: keep showing it
    expect(p.colorAt(5)).toBe(7);
    b.apply(11, 1, 1, 7);
    expect(p.onRecord(5, 11)).toBe(true);
    expect(p.colorAt(5)).toBeUndefined();
    expect(p.size).toBe(0);
  });

  it("ends at ack when the record was already applied", () => {
    const p = new PendingPlacements();
    const b = board();
    p.add("r1", 5, 7, 0);
    b.apply(11, 1, 1, 7);
    expect(p.onRecord(5, 11)).toBe(false); // not acked yet: could be someone else's
    expect(p.ack("r1", 11, b)).toBe(5);
    expect(p.colorAt(5)).toBeUndefined();
  });

  it("gives way to a later placement by someone else", () => {
    const p = new PendingPlacements();
    const b = board();
    p.add("r1", 5, 7, 0);
    p.ack("r1", 11, b);
    expect(p.onRecord(5, 9)).toBe(false); // older: ours still wins
    expect(p.onRecord(5, 12)).toBe(true);
    expect(p.colorAt(5)).toBeUndefined();
  });

  it("rolls back on reject", () => {
    const p = new PendingPlacements();
    p.add("r1", 5, 7, 0);
    expect(p.reject("r1")).toBe(5);
    expect(p.colorAt(5)).toBeUndefined();
    expect(p.reject("unknown")).toBeNull();
    expect(p.reject(null)).toBeNull();
  });

  it("drops unacked placements on disconnect, keeps acked ones", () => {
    const p = new PendingPlacements();
    const b = board();
    p.add("a", 1, 2, 0);
    p.add("b", 2, 3, 0);
    p.ack("b", 11, b);
    expect(p.dropUnacked()).toEqual({ indices: [1], count: 1 });
    expect(p.colorAt(2)).toBe(3);
  });

  it("ends acked overrides that a loaded snapshot covers", () => {
    const p = new PendingPlacements();
    const b = board();
    p.add("a", 1, 2, 0);
    p.ack("a", 11, b);
    p.add("b", 2, 3, 0);
    p.ack("b", 13, b);
    b.load(new Uint8Array(16), 12);
    expect(p.afterLoad(b)).toEqual([1]);
    expect(p.colorAt(2)).toBe(3);
  });

  it("expires old overrides and reveals an older one on the same pixel", () => {
    const p = new PendingPlacements();
    p.add("old", 4, 1, 0);
    p.add("new", 4, 2, 100);
    expect(p.colorAt(4)).toBe(2);
    expect(p.reject("new")).toBe(4);
    expect(p.colorAt(4)).toBe(1);
    expect(p.expire(50, 60)).toEqual({ indices: [], unacked: 0 });
    expect(p.expire(60, 60)).toEqual({ indices: [4], unacked: 1 });
    expect(p.size).toBe(0);
  });
});
