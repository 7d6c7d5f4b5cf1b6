import { describe, expect, it } from "vitest";
import { CURSOR_GLIDE_MAX_MS, CURSOR_GLIDE_MIN_MS, CursorModel } from "./cursors";

const at = (m: CursorModel, now: number) => {
  const out: Record<string, [number, number]> = {};
  const moving = m.positions(now, (p) => (out[p.id] = [p.x, p.y]));
  return { out, moving };
};

describe("CursorModel", () => {
  it("shows a new cursor where it is, then glides to each new position", () => {
    const m = new CursorModel();
    expect(m.update([{ id: "a", name: "Ann", x: 10, y: 10 }], [], 0).added).toEqual(["a"]);
    expect(at(m, 0)).toEqual({ out: { a: [10, 10] }, moving: false });
    m.update([{ id: "a", name: "Ann", x: 20, y: 10 }], [], 100);
    const mid = at(m, 150);
    expect(mid.moving).toBe(true);
    expect(mid.out.a[0]).toBeGreaterThan(10);
    expect(mid.out.a[0]).toBeLessThan(20);
    expect(at(m, 200)).toEqual({ out: { a: [20, 10] }, moving: false });
  });

  it("a new update starts from where the cursor is drawn, so it never jumps back", () => {
    const m = new CursorModel();
    m.update([{ id: "a", name: "Ann", x: 0, y: 0 }], [], 0);
    m.update([{ id: "a", name: "Ann", x: 100, y: 0 }], [], 100);
    const before = at(m, 150).out.a[0];
    m.update([{ id: "a", name: "Ann", x: 100, y: 50 }], [], 150);
    expect(at(m, 150).out.a[0]).toBeCloseTo(before, 6);
  });

  it("glides over the time between updates, within bounds", () => {
    const m = new CursorModel();
    m.update([{ id: "a", name: "A", x: 0, y: 0 }], [], 0);
    m.update([{ id: "a", name: "A", x: 10, y: 0 }], [], 5000); // long pause: capped
    expect(at(m, 5000 + CURSOR_GLIDE_MAX_MS - 1).moving).toBe(true);
    expect(at(m, 5000 + CURSOR_GLIDE_MAX_MS).moving).toBe(false);
    m.update([{ id: "a", name: "A", x: 20, y: 0 }], [], 5001); // very soon after: at least the minimum
    expect(at(m, 5001 + CURSOR_GLIDE_MIN_MS - 1).moving).toBe(true);
  });

  it("removes gone cursors and ignores malformed entries", () => {
    const m = new CursorModel();
    m.update([{ id: "a", name: "A", x: 1, y: 1 }, { id: "b", name: "B", x: 2, y: 2 }, { id: "c", name: "C", x: Number.NaN, y: 0 }], [], 0);
    expect(m.size).toBe(2);
    expect(m.update([], ["a", "zz"], 10).removed).toEqual(["a"]);
    expect(m.has("a")).toBe(false);
    expect(m.clear()).toEqual(["b"]);
    expect(m.size).toBe(0);
  });
});
